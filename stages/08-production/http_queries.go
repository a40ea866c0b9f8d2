package bank

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-es-workshop/kit/internal/web"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// The queries on read models. Each takes min_position, the position a command
// answered: the answer then reflects at least that command (read your writes),
// or, when the read model cannot get there within MaxReadWait, it is a 503 that
// names the projection, where it stands and how far behind it is.

// transactions is GET /accounts/{id}/transactions?after_version=N&limit=M.
func (a *api) transactions(c echo.Context) error {
	q := TransactionsQuery{}
	var err error
	if q.AccountID, err = web.PathUUID(c, "id"); err != nil {
		return err
	}
	if q.AfterVersion, err = queryInt(c, "after_version", 0, 0, 1<<62); err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 100, 1, maxPageSize)
	if err != nil {
		return err
	}
	if q.MinPosition, err = minPosition(c); err != nil {
		return err
	}
	q.Limit = int(limit)
	page, err := a.app.Queries.TransactionHistory(c.Request().Context(), q)
	return answerQuery(c, page, err)
}

// accountsByOwner is GET /accounts?owner=NAME&after=ID&limit=M.
func (a *api) accountsByOwner(c echo.Context) error {
	q := OwnerQuery{Owner: c.QueryParam("owner")}
	if err := checkOwner(q.Owner); err != nil {
		return problemFor(err)
	}
	if raw := c.QueryParam("after"); raw != "" {
		after, err := uuid.Parse(raw)
		if err != nil || len(raw) != 36 {
			return web.Problemf(http.StatusBadRequest, "query parameter after must be an account id (the next_after of the page before), got %q", raw)
		}
		q.After = after
	}
	limit, err := queryInt(c, "limit", 100, 1, maxPageSize)
	if err != nil {
		return err
	}
	if q.MinPosition, err = minPosition(c); err != nil {
		return err
	}
	q.Limit = int(limit)
	page, err := a.app.Queries.AccountsByOwner(c.Request().Context(), q)
	return answerQuery(c, page, err)
}

// MaxReportDays bounds the days one daily-totals report may span.
const MaxReportDays = 366

// dailyTotals is GET /reports/daily-totals?from=2024-05-01&to=2024-05-31.
func (a *api) dailyTotals(c echo.Context) error {
	from, err := queryDay(c, "from")
	if err != nil {
		return err
	}
	to, err := queryDay(c, "to")
	if err != nil {
		return err
	}
	if to.Before(from) || to.Sub(from) >= MaxReportDays*24*time.Hour {
		return web.Problemf(http.StatusBadRequest, "a report runs forward, over at most %d days: to must be on or after its first day, and less than %d days later", MaxReportDays, MaxReportDays)
	}
	q := DailyTotalsQuery{From: from.Format(dayFormat), To: to.Format(dayFormat)}
	if q.MinPosition, err = minPosition(c); err != nil {
		return err
	}
	report, err := a.app.Queries.DailyTotals(c.Request().Context(), q)
	return answerQuery(c, report, err)
}

// projections is GET /projections: each projection, its checkpoint and its lag.
func (a *api) projections(c echo.Context) error {
	statuses, err := a.app.Queries.Projections(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"projections": statuses})
}

// minPosition reads min_position: 0 (none) or the position of a command's answer.
func minPosition(c echo.Context) (int64, error) {
	return queryInt(c, "min_position", 0, 0, 1<<62)
}

// queryDay reads a required day such as 2024-05-01.
func queryDay(c echo.Context, name string) (time.Time, error) {
	raw := c.QueryParam(name)
	day, err := time.Parse(dayFormat, raw)
	if err != nil {
		return time.Time{}, web.Problemf(http.StatusBadRequest, "query parameter %s must be a day like 2024-05-01, got %q", name, raw)
	}
	return day, nil
}

// answerQuery answers a query, or says why it cannot. A read model that has not
// caught up is a 503, and the problem names the projection, its checkpoint, the
// head of the log and the lag (RFC 9457 extension members). Retry-After only
// while the projection runs: one that has failed will not catch up by waiting.
func answerQuery(c echo.Context, answer any, err error) error {
	var behind *ProjectionBehindError
	switch {
	case errors.As(err, &behind):
		p := behind.Projection
		advice := "retry, or read without min_position (an older answer)"
		if p.Status == "running" {
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(MaxReadWait/time.Second)))
		} else {
			advice = "it will not catch up before it is fixed; read without min_position (an older answer)"
		}
		c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
		return c.JSON(http.StatusServiceUnavailable, behindProblem{
			Problem:    *web.NewProblem(http.StatusServiceUnavailable, fmt.Sprintf("%v; %s", err, advice)),
			Projection: p.Name, ProjectionStatus: p.Status, Checkpoint: p.Checkpoint,
			MinPosition: behind.MinPosition, Head: p.Head, Lag: p.Lag,
		})
	case err != nil:
		return problemFor(err)
	}
	return c.JSON(http.StatusOK, answer)
}

// behindProblem is the 503 of a read model that has not caught up: a problem with
// the projection's numbers as extension members.
type behindProblem struct {
	web.Problem
	Projection       string `json:"projection"`
	ProjectionStatus string `json:"projection_status"`
	Checkpoint       int64  `json:"checkpoint"`
	MinPosition      int64  `json:"min_position"`
	Head             int64  `json:"head"`
	Lag              int64  `json:"lag"`
}
