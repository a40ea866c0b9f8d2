package bank

import (
	"github.com/go-es-workshop/kit/internal/web"
	"github.com/labstack/echo/v4"
)

// metadataFor builds the metadata of the events a request's command will record.
// The plumbing (internal/web) has already read the headers:
//   - web.CorrelationID(c): X-Correlation-ID, or the request's own id if absent
//   - web.UserID(c):        X-User-ID, or "anonymous"
//
// The causation id is the command's id, which the command pipeline sets
// (dispatcher.go: identified).
func metadataFor(c echo.Context) Metadata {
	return Metadata{
		CorrelationID: web.CorrelationID(c),
		UserID:        web.UserID(c),
	}
}
