package bank

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
	"github.com/go-es-workshop/kit/internal/web"
	"github.com/labstack/echo/v4"
)

// NewServer wires the application (application.go) to the HTTP API, with the
// default Options: the relay delivers to the statement service inside this process.
func NewServer(ctx context.Context, db *sqlitedb.DB, log *slog.Logger) (*echo.Echo, error) {
	s, err := Start(ctx, db, log, Options{})
	if err != nil {
		return nil, err
	}
	return s.Echo, nil
}

// Server is the HTTP API and the work it runs in the background: the projections
// and the relay, until ctx ends.
type Server struct {
	*echo.Echo
	App     *Application
	stopped chan struct{}
}

// Wait returns once the projections and the relay have stopped (after ctx ended):
// cmd/server waits for it before it closes the database.
func (s *Server) Wait() { <-s.stopped }

// Start wires the application with opts and starts its background work. The
// handlers below only turn requests into commands and queries, and their results
// into answers.
func Start(ctx context.Context, db *sqlitedb.DB, log *slog.Logger, opts Options) (*Server, error) {
	store, err := NewEventStore(ctx, db, NewRegistry())
	if err != nil {
		return nil, err
	}
	app, err := NewApplication(ctx, db, store, log, opts)
	if err != nil {
		return nil, err
	}
	stopped := make(chan struct{})
	db.Go(func() { // db.Close waits for the projections and the relay to stop
		var wg sync.WaitGroup
		wg.Go(func() { app.Projector.Run(ctx) })
		wg.Go(func() { app.Relay.Run(ctx) })
		wg.Wait()
		close(stopped)
	})
	api := &api{app: app, store: store}
	e := web.New(Stage, db.Ping, log)
	e.POST("/accounts", api.openAccount)
	e.GET("/accounts", api.accountsByOwner)
	e.GET("/accounts/:id", api.getAccount)
	e.POST("/accounts/:id/deposits", api.deposit)
	e.POST("/accounts/:id/withdrawals", api.withdraw)
	e.POST("/accounts/:id/close", api.close)
	e.POST("/accounts/:id/forget", api.forget)
	e.GET("/accounts/:id/transactions", api.transactions)
	e.GET("/accounts/:id/events", api.accountEvents)
	e.GET("/events", api.allEvents)
	e.GET("/schemas", api.schemas)
	e.GET("/reports/daily-totals", api.dailyTotals)
	e.GET("/projections", api.projections)
	e.GET("/metrics", api.metrics)
	e.GET("/outbox", api.outbox)
	e.GET("/dead-letters", api.deadLetters)
	e.POST("/dead-letters/:id/redrive", api.redrive)
	e.POST("/projections/:name/rebuild", api.rebuildProjection)
	e.POST("/statements/messages", api.receiveMessage)
	e.GET("/statements/:id", api.statement)
	e.POST("/consumer-dead-letters/:id/redrive", api.redriveMessage)
	return &Server{Echo: e, App: app, stopped: stopped}, nil
}

type api struct {
	app   *Application
	store *EventStore
}

func (a *api) openAccount(c echo.Context) error {
	key, err := readIdempotencyKey(c)
	if err != nil {
		return err
	}
	var req openAccountRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	cmd, err := req.toCommand()
	if err != nil {
		return err
	}
	res, err := a.app.Commands.OpenAccount(c.Request().Context(), message(c, key, cmd))
	if err != nil {
		return problemFor(err)
	}
	c.Response().Header().Set(echo.HeaderLocation, "/accounts/"+res.AccountID.String())
	return respondCommand(c, http.StatusCreated, res)
}

// getAccount is served by the write model: the account rebuilt from its stream.
func (a *api) getAccount(c echo.Context) error {
	id, err := web.PathUUID(c, "id")
	if err != nil {
		return err
	}
	acc, err := a.app.Queries.Account(c.Request().Context(), id)
	if err != nil {
		return problemFor(err)
	}
	c.Response().Header().Set("ETag", etag(acc.Version))
	return c.JSON(http.StatusOK, acc)
}

func (a *api) deposit(c echo.Context) error {
	return moneyCommand(c, a.app.Commands.DepositMoney, func(m moneyCommandFields) DepositMoney {
		return DepositMoney{AccountID: m.id, Amount: m.amount, Reference: m.reference, IfMatch: m.ifMatch}
	})
}

func (a *api) withdraw(c echo.Context) error {
	return moneyCommand(c, a.app.Commands.WithdrawMoney, func(m moneyCommandFields) WithdrawMoney {
		return WithdrawMoney{AccountID: m.id, Amount: m.amount, Reference: m.reference, IfMatch: m.ifMatch}
	})
}

// respondCommand answers a command with its result and the account's new ETag.
// A repeat of a command the bank carried out before gets the first answer, and
// says so in Idempotent-Replayed.
func respondCommand(c echo.Context, status int, res CommandResult) error {
	c.Response().Header().Set("ETag", etag(res.Version))
	if res.Replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	return c.JSON(status, res)
}

func etag(version int64) string { return fmt.Sprintf(`"%d"`, version) }
