package web

import (
	"context"
	"database/sql"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/go-es-workshop/kit/internal/dashboard"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

// DashboardPath is where a stage server shows the live view of its database
// (internal/dashboard): the global log, a stream's events, and, from later
// stages, read models, projections, the outbox and dead letters.
const DashboardPath = "/dashboard"

// dashboardLive is the dashboard's stream of updates (Server-Sent Events): it
// stays open for as long as its page, so the request deadline must not end it.
const dashboardLive = DashboardPath + "/live"

// MountDashboard serves the dashboard of the SQLite file at dbPath on e, at
// DashboardPath, until ctx ends. It reads through a read-only pool of its own,
// so that pages left open on a projector never take a connection the stage's
// own queries need, and no request to it can write. Close the pool it returns
// once the server has stopped.
func MountDashboard(ctx context.Context, e *echo.Echo, dbPath, title string) (*sql.DB, error) {
	db, err := sqlitedb.OpenReadOnly(dbPath)
	if err != nil {
		return nil, err
	}
	h := echo.WrapHandler(dashboard.Handler(ctx, db, dashboard.Options{Title: title, Prefix: DashboardPath}))
	e.Match([]string{http.MethodGet, http.MethodHead}, DashboardPath, h)
	e.Match([]string{http.MethodGet, http.MethodHead}, DashboardPath+"/*", h)
	return db, nil
}

// hasDashboard reports whether e serves the dashboard (the index page links to it).
func hasDashboard(e *echo.Echo) bool {
	for _, r := range e.Routes() {
		if r.Path == DashboardPath+"/*" {
			return true
		}
	}
	return false
}
