package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/go-es-workshop/kit/internal/exercise"
	"github.com/labstack/echo/v4"
)

// Problem is an RFC 9457 problem detail: every error the API returns has this shape,
// served as application/problem+json.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail) }

// NewProblem builds a problem; the title is the standard text of the status code
// unless the status has a more specific meaning in this API (see titles).
func NewProblem(status int, detail string) *Problem {
	title := titles[status]
	if title == "" {
		title = http.StatusText(status)
	}
	return &Problem{Type: "about:blank", Title: title, Status: status, Detail: detail}
}

// Problemf is NewProblem with a format string.
func Problemf(status int, format string, args ...any) *Problem {
	return NewProblem(status, fmt.Sprintf(format, args...))
}

var titles = map[int]string{
	http.StatusBadRequest:            "Invalid request",
	http.StatusNotFound:              "Not found",
	http.StatusConflict:              "Concurrency conflict",
	http.StatusPreconditionFailed:    "Stale version",
	http.StatusUnprocessableEntity:   "Business rule violated",
	http.StatusRequestEntityTooLarge: "Request body too large",
	http.StatusUnsupportedMediaType:  "Unsupported media type",
	http.StatusNotImplemented:        "Not built yet",
}

// errorHandler turns every error a handler returns into a problem+json response.
// Errors that are neither a *Problem nor an echo.HTTPError are bugs or outages: the
// client gets a 500 without internals, the log gets the whole error.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		p := toProblem(err)
		if p.Status == statusClientClosedRequest {
			log.Info("client went away before the answer", "method", c.Request().Method, "path", c.Path(),
				"correlation_id", CorrelationID(c))
		} else if p.Status >= 500 {
			log.Error("request failed", "method", c.Request().Method, "path", c.Path(),
				"correlation_id", CorrelationID(c), "error", err)
		}
		if c.Request().Method == http.MethodHead {
			err = c.NoContent(p.Status)
		} else {
			c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
			err = c.JSON(p.Status, p)
		}
		if err != nil {
			log.Error("writing error response", "error", err)
		}
	}
}

// statusClientClosedRequest is the status (nginx's 499) of a request whose client
// hung up: nobody reads the answer, and it is no server error to alert on.
const statusClientClosedRequest = 499

func toProblem(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	if todo, ok := exercise.IsTodo(err); ok && todo.Stretch {
		// An optional task not built yet: the rest of the stage works, this one
		// feature answers that it is missing, and how to build it.
		return NewProblem(http.StatusNotImplemented, todo.Error())
	}
	switch {
	case errors.Is(err, context.Canceled):
		return NewProblem(statusClientClosedRequest, "the client closed the request")
	case errors.Is(err, context.DeadlineExceeded):
		return NewProblem(http.StatusServiceUnavailable, "the server could not finish the request in time; retry later")
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		detail := fmt.Sprint(he.Message)
		if he.Code == http.StatusNotFound {
			detail = "no such route; GET / lists the endpoints of this stage"
		}
		return NewProblem(he.Code, detail)
	}
	return NewProblem(http.StatusInternalServerError, "the server failed to handle the request; its log has the details")
}
