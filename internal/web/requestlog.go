package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// requestLog logs one line per request once it is answered: method, path, status,
// duration and correlation id, so that whoever watches the server (a presenter,
// say) sees every 409, 412 and slow retry as it happens:
//
//	level=INFO msg=request method=POST path=/accounts/0190…/withdrawals status=412 duration=1.2ms correlation_id=story-grace
//
// Errors go through the kit's error handler first (HandleError), so the status
// logged is the one the client got. A 5xx is logged at WARN: the error handler
// has already logged its cause at ERROR. The lines go wherever log writes: stderr
// in cmd/server, a buffer in the tests.
func requestLog(log *slog.Logger) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		HandleError: true,
		LogMethod:   true,
		LogURIPath:  true,
		LogStatus:   true,
		LogLatency:  true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			if v.Status >= http.StatusInternalServerError {
				level = slog.LevelWarn
			}
			log.LogAttrs(context.Background(), level, "request",
				slog.String("method", v.Method),
				slog.String("path", v.URIPath),
				slog.Int("status", v.Status),
				slog.Duration("duration", v.Latency.Round(time.Microsecond)),
				slog.String("correlation_id", CorrelationID(c)),
			)
			return nil
		},
	})
}
