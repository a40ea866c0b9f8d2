package web_test

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
	"github.com/go-es-workshop/kit/internal/web"
)

func TestMountDashboard(t *testing.T) {
	var noErr error
	e, _ := newServer(t, &noErr)
	require.NotContains(t, serve(e, http.MethodGet, "/", "", nil).Body.String(), "/dashboard/",
		"the index page links to a dashboard only where there is one")

	path := filepath.Join(t.TempDir(), "bank.db")
	_, err := web.MountDashboard(context.Background(), e, path, "bank")
	require.ErrorContains(t, err, "no database at", "the dashboard creates no empty database")

	db, err := sqlitedb.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	reader, err := web.MountDashboard(ctx, e, path, "bank")
	require.NoError(t, err)
	t.Cleanup(func() { _ = reader.Close() })

	rec := serve(e, http.MethodGet, "/dashboard", "", nil)
	require.Equal(t, http.StatusMovedPermanently, rec.Code)
	require.Equal(t, "/dashboard/", rec.Header().Get("Location"))
	rec = serve(e, http.MethodGet, "/dashboard/", "", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Header().Get("Content-Security-Policy"), "default-src 'none'")
	requireProblem(t, serve(e, http.MethodPost, "/dashboard/", "{}", nil), http.StatusMethodNotAllowed)
	require.Equal(t, http.StatusNotFound, serve(e, http.MethodGet, "/dashboard/no-such-file.js", "", nil).Code)
	require.Contains(t, serve(e, http.MethodGet, "/", "", nil).Body.String(), `href="/dashboard/"`)

	_, err = reader.Exec(`CREATE TABLE dashboard_was_here (x)`)
	require.Error(t, err, "the dashboard's pool cannot write")
}

func TestTheDashboardsStreamHasNoRequestDeadline(t *testing.T) {
	var noErr error
	e, _ := newServer(t, &noErr)
	hasDeadline := func(c echo.Context) error {
		_, ok := c.Request().Context().Deadline()
		return c.JSON(http.StatusOK, ok)
	}
	e.GET(web.DashboardPath+"/live", hasDeadline)
	e.GET(web.DashboardPath+"/stream", hasDeadline)
	require.Equal(t, "false\n", serve(e, http.MethodGet, "/dashboard/live", "", nil).Body.String(),
		"the page's stream of updates stays open for as long as the page")
	require.Equal(t, "true\n", serve(e, http.MethodGet, "/dashboard/stream", "", nil).Body.String(),
		"every other request keeps its deadline")
}
