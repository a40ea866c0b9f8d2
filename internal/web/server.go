// Package web is the HTTP plumbing every stage shares: problem+json errors, strict JSON
// decoding, request ids, a request log, the stage's index page, and a server that
// stops cleanly.
// The lessons live in the stage folders; nothing here is specific to banking.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// New returns an echo instance with the kit's error handling, request context and
// request log (one line per request on log), and the three routes every stage has:
// GET / (HTML), GET /stage and GET /healthz. health is called by /healthz; it
// usually pings the database.
func New(info StageInfo, health func(context.Context) error, log *slog.Logger) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler(log)
	e.Use(requestLog(log)) // outermost: it sees the status of every answer, a recovered panic's too
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisableStackAll: true,
		// A panic is a bug: log it with the request, in the server's own log, and
		// let the error handler answer 500.
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			log.Error("panic", "method", c.Request().Method, "path", c.Path(), "error", err, "stack", string(stack))
			return err
		},
	}))
	e.Use(requestContext)
	// Every request gets a deadline: a handler waiting for SQLite's one write
	// connection (or anything else) gives up with a 503 instead of waiting forever.
	e.Use(middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{
		Skipper:      func(c echo.Context) bool { return c.Request().URL.Path == dashboardLive },
		Timeout:      RequestTimeout,
		ErrorHandler: func(err error, _ echo.Context) error { return err }, // errorHandler maps it
	}))

	e.GET("/", indexHandler(info))
	e.GET("/stage", func(c echo.Context) error { return c.JSON(http.StatusOK, info) })
	e.GET("/healthz", func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
		defer cancel()
		if err := health(ctx); err != nil {
			log.Error("health check failed", "error", err)
			return NewProblem(http.StatusServiceUnavailable, "the database does not answer")
		}
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	return e
}

// RequestTimeout bounds the work of one request.
const RequestTimeout = 10 * time.Second

// ShutdownGrace bounds how long in-flight requests may take once a stop is asked for.
const ShutdownGrace = 10 * time.Second

// Serve runs e on addr until ctx is cancelled (SIGINT/SIGTERM in cmd/server), then
// stops accepting connections and waits up to ShutdownGrace for requests in flight.
// ready, if not nil, receives the address actually listened on (useful with port 0).
func Serve(ctx context.Context, e *echo.Echo, addr string, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another server running? try -addr 127.0.0.1:8081)", addr, err)
	}
	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	if ready != nil {
		ready(ln.Addr())
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(stopCtx); err != nil {
		_ = srv.Close() // the grace ran out: cut the connections still open
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
