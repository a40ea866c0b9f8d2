package bank

import (
	"net/http"
	"strconv"

	"github.com/go-es-workshop/kit/internal/web"
	"github.com/labstack/echo/v4"
)

// maxPageSize caps GET /events: a client pages through the log, never loads all of it.
const maxPageSize = 1000

// accountEvents is GET /accounts/{id}/events: the account's stream, oldest first.
func (a *api) accountEvents(c echo.Context) error {
	id, err := web.PathUUID(c, "id")
	if err != nil {
		return err
	}
	history, err := a.store.Load(c.Request().Context(), StreamID(id.String()))
	if err != nil {
		return err
	}
	if len(history) == 0 {
		return problemFor(ErrAccountNotFound)
	}
	return c.JSON(http.StatusOK, map[string]any{"stream_id": StreamID(id.String()), "events": history})
}

// allEvents is GET /events?after=N&limit=M: the global log in position order.
// next_after is the position to ask for the following page.
func (a *api) allEvents(c echo.Context) error {
	after, err := queryInt(c, "after", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 100, 1, maxPageSize)
	if err != nil {
		return err
	}
	events, err := a.store.ReadAll(c.Request().Context(), after, int(limit))
	if err != nil {
		return err
	}
	next := after
	if len(events) > 0 {
		next = events[len(events)-1].Position
	}
	if events == nil {
		events = []Envelope{}
	}
	return c.JSON(http.StatusOK, map[string]any{"events": events, "next_after": next})
}

// queryInt reads an optional whole-number query parameter within [lo, hi].
func queryInt(c echo.Context, name string, def, lo, hi int64) (int64, error) {
	raw := c.QueryParam(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, web.Problemf(http.StatusBadRequest, "query parameter %s must be a whole number from %d to %d, got %q", name, lo, hi, raw)
	}
	return n, nil
}

// schemas is GET /schemas: each event type, the schema version written now, its
// old names, and how many rows are stored under each name and version.
func (a *api) schemas(c echo.Context) error {
	report, err := a.store.Schemas(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, report)
}
