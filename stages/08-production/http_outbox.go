package bank

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/go-es-workshop/kit/internal/web"
	"github.com/labstack/echo/v4"
)

// The outbox over HTTP: what waits and why (GET /outbox), what was parked and
// why (GET /dead-letters: the outbox's messages, and the consumers' inputs), and the operator's way to send a parked message again
// once its cause is fixed (POST /dead-letters/{id}/redrive).

// outbox is GET /outbox.
func (a *api) outbox(c echo.Context) error {
	status, err := a.app.Outbox.Status(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, status)
}

// deadLetters is GET /dead-letters.
func (a *api) deadLetters(c echo.Context) error {
	letters, err := a.app.Outbox.DeadLetters(c.Request().Context())
	if err != nil {
		return err
	}
	parked, err := a.app.Projector.ConsumerDeadLetters(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"dead_letters": letters, "consumer_dead_letters": parked})
}

// redrive is POST /dead-letters/{id}/redrive: the message goes back to pending,
// at the head of its subject.
func (a *api) redrive(c echo.Context) error {
	raw := c.Param("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 || strconv.FormatInt(id, 10) != raw {
		return web.Problemf(http.StatusBadRequest, "a dead letter's id is a positive integer (see GET /dead-letters), got %q", raw)
	}
	if err := web.DecodeEmptyBody(c); err != nil {
		return err
	}
	err = a.app.Relay.Redrive(c.Request().Context(), id)
	switch {
	case errors.Is(err, ErrDeadLetterNotFound):
		return web.NewProblem(http.StatusNotFound, err.Error()+" (GET /dead-letters lists them; one re-driven already is gone)")
	case err != nil:
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"redriven": id, "status": statusPending})
}
