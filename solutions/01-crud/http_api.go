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

// NewServer wires the accounts table to the HTTP API.
func NewServer(ctx context.Context, db *sqlitedb.DB, log *slog.Logger) (*echo.Echo, error) {
	accounts, err := NewAccounts(ctx, db)
	if err != nil {
		return nil, err
	}
	api := &api{accounts: accounts}
	e := web.New(Stage, db.Ping, log)
	e.POST("/accounts", api.openAccount)
	e.GET("/accounts/:id", api.getAccount)
	e.POST("/accounts/:id/deposits", api.deposit)
	e.POST("/accounts/:id/withdrawals", api.withdraw)
	e.POST("/accounts/:id/close", api.close)
	e.POST("/accounts/:id/transfers", api.transfer)
	return e, nil
}

type api struct {
	accounts *Accounts
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
	acc, err := a.accounts.Open(c.Request().Context(), cmd)
	if err != nil {
		return problemFor(err)
	}
	c.Response().Header().Set(echo.HeaderLocation, "/accounts/"+acc.ID.String())
	return respondAccount(c, http.StatusCreated, acc)
}

func (a *api) getAccount(c echo.Context) error {
	id, err := web.PathUUID(c, "id")
	if err != nil {
		return err
	}
	acc, err := a.accounts.Get(c.Request().Context(), id)
	if err != nil {
		return problemFor(err)
	}
	return respondAccount(c, http.StatusOK, acc)
}

func (a *api) deposit(c echo.Context) error  { return a.changeBalance(c, a.accounts.Deposit) }
func (a *api) withdraw(c echo.Context) error { return a.changeBalance(c, a.accounts.Withdraw) }

// balanceChange is the shape of Accounts.Deposit and Accounts.Withdraw.
type balanceChange func(ctx context.Context, id uuid.UUID, amount int64) (Account, error)

// changeBalance is the shared shape of a deposit and a withdrawal.
func (a *api) changeBalance(c echo.Context, change balanceChange) error {
	id, err := web.PathUUID(c, "id")
	if err != nil {
		return err
	}
	var req amountRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	amount, err := req.amount()
	if err != nil {
		return err
	}
	acc, err := change(c.Request().Context(), id, amount)
	if err != nil {
		return problemFor(err)
	}
	return respondAccount(c, http.StatusOK, acc)
}

func (a *api) close(c echo.Context) error {
	id, err := web.PathUUID(c, "id")
	if err != nil {
		return err
	}
	if err := web.DecodeEmptyBody(c); err != nil {
		return err
	}
	acc, err := a.accounts.Close(c.Request().Context(), id)
	if err != nil {
		return problemFor(err)
	}
	return respondAccount(c, http.StatusOK, acc)
}

// transfer is POST /accounts/{id}/transfers {"to": "<id>", "amount": N}: money
// from the account in the path to the account in "to" (stretch task 1.3). It
// answers both accounts, and the ETag of the one in the path.
func (a *api) transfer(c echo.Context) error {
	from, err := web.PathUUID(c, "id")
	if err != nil {
		return err
	}
	var req transferRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	to, amount, err := req.parse()
	if err != nil {
		return err
	}
	t, err := a.accounts.Transfer(c.Request().Context(), from, to, amount)
	if err != nil {
		return problemFor(err)
	}
	c.Response().Header().Set("ETag", etag(t.From.Version))
	return c.JSON(http.StatusOK, t)
}

// respondAccount writes the account with its version as a strong ETag.
func respondAccount(c echo.Context, status int, acc Account) error {
	c.Response().Header().Set("ETag", etag(acc.Version))
	return c.JSON(status, acc)
}

func etag(version int64) string { return fmt.Sprintf(`"%d"`, version) }
