package bank

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/go-es-workshop/kit/internal/web"
	"github.com/labstack/echo/v4"
)

// ifMatchVersion reads If-Match: "<version>" (the ETag of GET /accounts/{id}).
// No header, or "*", means "whatever the current version is". A client that sends
// a version says: run this command only if nothing changed since I looked.
func ifMatchVersion(c echo.Context) (*int64, error) {
	raw := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if raw == "" || raw == "*" {
		return nil, nil
	}
	unquoted, quoted := strings.CutPrefix(raw, `"`)
	unquoted, closed := strings.CutSuffix(unquoted, `"`)
	version, err := strconv.ParseInt(unquoted, 10, 64)
	if !quoted || !closed || err != nil || version < 1 {
		return nil, web.Problemf(http.StatusBadRequest,
			`If-Match must be a version in quotes, like "3" (the ETag of GET /accounts/{id}), got %s`, raw)
	}
	return &version, nil
}
