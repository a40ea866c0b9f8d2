package bank

import (
	"errors"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/go-es-workshop/kit/internal/web"
	"github.com/labstack/echo/v4"
)

// The statement service over HTTP: its webhook (POST /statements/messages: another
// bank server's relay, or anyone, delivers a message), a statement
// (GET /statements/{account_id}), and the operator's redrive of a parked message.
//
// A body that is not a message at all (not JSON, no id, no type) is refused with
// 400 and changes nothing: there is nothing to record. A message that is well
// formed but cannot be applied is taken (200, "parked"): the sender must not send
// it again, it would fail again.

// maxMessageField bounds the id, type and subject of a message.
const maxMessageField = 200

// receiveMessage is POST /statements/messages.
func (a *api) receiveMessage(c echo.Context) error {
	var m IntegrationMessage
	if err := web.DecodeJSON(c, &m); err != nil {
		return err
	}
	if err := checkEnvelope(m); err != nil {
		return err
	}
	outcome, err := a.app.Statements.Consume(c.Request().Context(), m)
	if isTransient(err) {
		return web.NewProblem(http.StatusServiceUnavailable, "the statement service's database is busy: send the message again later")
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"message_id": m.ID, "outcome": outcome})
}

// checkEnvelope refuses a body that is not a message: without an id or a type,
// fields too long or not text, or without data.
func checkEnvelope(m IntegrationMessage) error {
	var problems []string
	for _, f := range []struct{ name, value string }{{"message_id", m.ID}, {"type", m.Type}} {
		if f.value == "" {
			problems = append(problems, f.name+": required")
		}
	}
	for _, f := range []struct{ name, value string }{{"message_id", m.ID}, {"type", m.Type}, {"subject", m.Subject}, {"correlation_id", m.CorrelationID}} {
		if len(f.value) > maxMessageField || !utf8.ValidString(f.value) {
			problems = append(problems, f.name+": at most 200 bytes of UTF-8 text")
		}
	}
	if len(m.Data) == 0 || string(m.Data) == "null" {
		problems = append(problems, "data: required (the integration event's JSON)")
	}
	if len(problems) > 0 {
		return web.Fields(problems...)
	}
	return nil
}

// statement is GET /statements/{account_id}.
func (a *api) statement(c echo.Context) error {
	id, err := web.PathUUID(c, "id")
	if err != nil {
		return err
	}
	st, err := a.app.Statements.Statement(c.Request().Context(), id.String())
	if errors.Is(err, ErrStatementNotFound) {
		return web.NewProblem(http.StatusNotFound, err.Error())
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

// redriveMessage is POST /consumer-dead-letters/{id}/redrive: the statement
// service processes a parked message again.
func (a *api) redriveMessage(c echo.Context) error {
	raw := c.Param("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 || strconv.FormatInt(id, 10) != raw {
		return web.Problemf(http.StatusBadRequest, "a consumer dead letter's id is a positive integer (see GET /dead-letters), got %q", raw)
	}
	if err := web.DecodeEmptyBody(c); err != nil {
		return err
	}
	outcome, err := a.app.Statements.Redrive(c.Request().Context(), id)
	switch {
	case errors.Is(err, ErrConsumerDeadLetterNotFound):
		return web.NewProblem(http.StatusNotFound, err.Error()+" (GET /dead-letters lists them under consumer_dead_letters; a projection's are cured by a rebuild)")
	case isTransient(err):
		return web.NewProblem(http.StatusServiceUnavailable, "the database is busy: try again")
	case err != nil:
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"redriven": id, "outcome": outcome})
}
