package bank

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

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

// getAccount is GET /accounts/{id}: the account now, or with ?as_of=<RFC 3339
// time> the account as it was then (stretch task 2.5).
func (a *api) getAccount(c echo.Context) error {
	id, err := web.PathUUID(c, "id")
	if err != nil {
		return err
	}
	asOf, past, err := queryTime(c, "as_of")
	if err != nil {
		return err
	}
	var acc Account
	if past {
		acc, err = a.bank.AccountAsOf(c.Request().Context(), id, asOf)
	} else {
		acc, err = a.bank.Account(c.Request().Context(), id)
	}
	if err != nil {
		return problemFor(err)
	}
	c.Response().Header().Set("ETag", etag(acc.Version))
	return c.JSON(http.StatusOK, acc)
}

// queryTime reads an optional query parameter that is an RFC 3339 time, such as
// 2026-03-01T12:00:00Z or 2026-03-01T13:00:00.5+01:00; ok is false when it is absent.
// Empty, given twice or not such a time is a 400 that names the parameter.
func queryTime(c echo.Context, name string) (t time.Time, ok bool, err error) {
	values, ok := c.QueryParams()[name]
	if !ok {
		return time.Time{}, false, nil
	}
	if len(values) != 1 {
		return time.Time{}, false, web.Problemf(http.StatusBadRequest, "query parameter %s must be given once, got it %d times", name, len(values))
	}
	t, err = time.Parse(time.RFC3339Nano, values[0])
	if err != nil {
		advice := ""
		if strings.Contains(values[0], " ") {
			advice = ` (a + in a URL query stands for a space: write it as %2B, or give the time in UTC, ending in Z)`
		}
		return time.Time{}, false, web.Problemf(http.StatusBadRequest,
			"query parameter %s must be an RFC 3339 time such as 2026-03-01T12:00:00Z, got %q%s", name, values[0], advice)
	}
	return t, true, nil
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
