package web

import (
	"net/http"
	"regexp"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// Header names of the request context that flows into event metadata (stage 2 on).
const (
	HeaderCorrelationID = "X-Correlation-ID" // one id for a whole conversation, set by the first caller
	HeaderRequestID     = "X-Request-ID"     // this request's own id: the command id, the causation of its events
	HeaderUserID        = "X-User-ID"        // who asked
)

// AnonymousUser stands in for a request that names no user.
const AnonymousUser = "anonymous"

var headerValue = regexp.MustCompile(`^[A-Za-z0-9._:@-]{1,128}$`)

const (
	keyCorrelation = "kit.correlation_id"
	keyRequest     = "kit.request_id"
	keyUser        = "kit.user_id"
)

// requestContext reads X-Correlation-ID and X-User-ID, gives the request its own id,
// and echoes the ids on the response. A header that is present but malformed is a
// 400: silently replacing it would break the caller's trace.
func requestContext(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		requestID := newID()
		correlationID := headerOr(c, HeaderCorrelationID, requestID)
		userID := headerOr(c, HeaderUserID, AnonymousUser)
		correlationOK := headerValue.MatchString(correlationID)
		if !correlationOK {
			correlationID = requestID // the caller's value is unusable; keep the trace of this request
		}
		c.Set(keyRequest, requestID)
		c.Set(keyCorrelation, correlationID)
		c.Set(keyUser, userID)
		c.Response().Header().Set(HeaderRequestID, requestID)
		c.Response().Header().Set(HeaderCorrelationID, correlationID)
		switch {
		case !correlationOK:
			return Problemf(http.StatusBadRequest, "%s must be 1-128 letters, digits or . _ : @ -", HeaderCorrelationID)
		case !headerValue.MatchString(userID):
			return Problemf(http.StatusBadRequest, "%s must be 1-128 letters, digits or . _ : @ -", HeaderUserID)
		}
		return next(c)
	}
}

// headerOr is the request header name, or fallback when it is absent.
func headerOr(c echo.Context, name, fallback string) string {
	if v := c.Request().Header.Get(name); v != "" {
		return v
	}
	return fallback
}

// CorrelationID is the request's correlation id (the caller's, or its own request id).
func CorrelationID(c echo.Context) string { s, _ := c.Get(keyCorrelation).(string); return s }

// RequestID is the id of this request, which is the id of the command it carries.
func RequestID(c echo.Context) string { s, _ := c.Get(keyRequest).(string); return s }

// UserID is the caller's X-User-ID, or AnonymousUser.
func UserID(c echo.Context) string { s, _ := c.Get(keyUser).(string); return s }

// newID returns a time-ordered UUIDv7 string, falling back to v4 if the clock source fails.
func newID() string {
	if id, err := uuid.NewV7(); err == nil {
		return id.String()
	}
	return uuid.NewString()
}
