package bank

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
	"github.com/go-es-workshop/kit/internal/web"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// NewServer wires the event store and the bank's commands to the HTTP API.
func NewServer(ctx context.Context, db *sqlitedb.DB, log *slog.Logger) (*echo.Echo, error) {
	store, err := NewEventStore(ctx, db, NewRegistry())
	if err != nil {
		return nil, err
	}
	api := &api{bank: NewBank(store), store: store}
	e := web.New(Stage, db.Ping, log)
	e.POST("/accounts", api.openAccount)
	e.GET("/accounts/:id", api.getAccount)
	e.POST("/accounts/:id/deposits", api.deposit)
	e.POST("/accounts/:id/withdrawals", api.withdraw)
	e.POST("/accounts/:id/close", api.close)
	e.GET("/accounts/:id/events", api.accountEvents)
	e.GET("/events", api.allEvents)
	return e, nil
}

type api struct {
	bank  *Bank
	store *EventStore
}

func (a *api) openAccount(c echo.Context) error {
	var req openAccountRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	cmd, err := req.toCommand()
	if err != nil {
		return err
	}
	res, err := a.bank.Open(c.Request().Context(), cmd, metadataFor(c))
	if err != nil {
		return problemFor(err)
	}
	c.Response().Header().Set(echo.HeaderLocation, "/accounts/"+res.AccountID.String())
	return c.JSON(http.StatusCreated, res)
}

func (a *api) getAccount(c echo.Context) error {
	id, err := web.PathUUID(c, "id")
	if err != nil {
		return err
	}
	acc, err := a.bank.Account(c.Request().Context(), id)
	if err != nil {
		return problemFor(err)
	}
	c.Response().Header().Set("ETag", etag(acc.Version))
	return c.JSON(http.StatusOK, acc)
}

func etag(version int64) string { return fmt.Sprintf(`"%d"`, version) }

func (a *api) deposit(c echo.Context) error  { return a.changeBalance(c, a.bank.Deposit) }
func (a *api) withdraw(c echo.Context) error { return a.changeBalance(c, a.bank.Withdraw) }

// balanceCommand is the shape of Bank.Deposit and Bank.Withdraw.
type balanceCommand func(ctx context.Context, id uuid.UUID, amount int64, reference string, meta Metadata) (CommandResult, error)

// changeBalance is the shared shape of a deposit and a withdrawal.
func (a *api) changeBalance(c echo.Context, change balanceCommand) error {
	id, err := web.PathUUID(c, "id")
	if err != nil {
		return err
	}
	var req moneyRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	amount, err := req.amount()
	if err != nil {
		return err
	}
	res, err := change(c.Request().Context(), id, amount, req.Reference, metadataFor(c))
	if err != nil {
		return problemFor(err)
	}
	return c.JSON(http.StatusOK, res)
}

func (a *api) close(c echo.Context) error {
	id, err := web.PathUUID(c, "id")
	if err != nil {
		return err
	}
	if err := web.DecodeEmptyBody(c); err != nil {
		return err
	}
	res, err := a.bank.Close(c.Request().Context(), id, metadataFor(c))
	if err != nil {
		return problemFor(err)
	}
	return c.JSON(http.StatusOK, res)
}
