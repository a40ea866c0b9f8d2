package bank

import (
	"errors"
	"net/http"

	"github.com/go-es-workshop/kit/internal/web"
	"github.com/labstack/echo/v4"
)

// rebuildProjection is POST /projections/{name}/rebuild: the read model is built
// again beside the live one, which goes on serving until the new one has caught
// up (202: started; GET /projections shows its progress).
func (a *api) rebuildProjection(c echo.Context) error {
	if err := web.DecodeEmptyBody(c); err != nil {
		return err
	}
	status, err := a.app.Projector.Rebuild(c.Request().Context(), c.Param("name"))
	switch {
	case errors.Is(err, ErrUnknownProjection):
		return web.NewProblem(http.StatusNotFound, err.Error()+" (GET /projections lists them)")
	case errors.Is(err, ErrRebuildInProgress):
		return web.NewProblem(http.StatusConflict, err.Error()+"; wait for it to switch (GET /projections)")
	case errors.Is(err, ErrProjectionStopped):
		return web.NewProblem(http.StatusServiceUnavailable, err.Error()+" (GET /projections says why)")
	case isTransient(err):
		return web.NewProblem(http.StatusServiceUnavailable, "the database is busy: try again")
	case err != nil:
		return err
	}
	return c.JSON(http.StatusAccepted, status)
}
