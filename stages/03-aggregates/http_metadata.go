package bank

import (
	"github.com/go-es-workshop/kit/internal/web"
	"github.com/labstack/echo/v4"
)

// metadataFor builds the metadata of the events a request's command will record.
// The plumbing (internal/web) has already read the headers:
//   - web.CorrelationID(c): X-Correlation-ID, or the request's own id if absent
//   - web.RequestID(c):     this request's id, which is also the command's id
//   - web.UserID(c):        X-User-ID, or "anonymous"
func metadataFor(c echo.Context) Metadata {
	return Metadata{
		CorrelationID: web.CorrelationID(c),
		CausationID:   web.RequestID(c),
		UserID:        web.UserID(c),
	}
}
