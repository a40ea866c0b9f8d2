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

// NewServer wires the event store, the factory, the repository and the command
// handler to the HTTP API.
func NewServer(ctx context.Context, db *sqlitedb.DB, log *slog.Logger) (*echo.Echo, error) {
	store, err := NewEventStore(ctx, db, NewRegistry())
	if err != nil {
		return nil, err
	}
	factory := NewAccountFactory()
	repo := NewAccountRepository(store, factory)
	api := &api{commands: NewCommandHandler(repo, factory), accounts: repo, store: store}
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
	commands *CommandHandler
	accounts *AccountRepository
	store    *EventStore
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
	res, err := a.commands.Open(c.Request().Context(), cmd, metadataFor(c))
	if err != nil {
		return problemFor(err)
	}
	c.Response().Header().Set(echo.HeaderLocation, "/accounts/"+res.AccountID.String())
	return respondCommand(c, http.StatusCreated, res)
}

func (a *api) getAccount(c echo.Context) error {
	id, err := web.PathUUID(c, "id")
	if err != nil {
		return err
	}
	acc, err := a.accounts.Load(c.Request().Context(), id)
	if err != nil {
		return problemFor(err)
	}
	c.Response().Header().Set("ETag", etag(acc.Version()))
	return c.JSON(http.StatusOK, acc.View())
}

func (a *api) deposit(c echo.Context) error  { return a.changeBalance(c, a.commands.Deposit) }
func (a *api) withdraw(c echo.Context) error { return a.changeBalance(c, a.commands.Withdraw) }

// balanceCommand is the shape of CommandHandler.Deposit and Withdraw.
type balanceCommand func(
	ctx context.Context, id uuid.UUID, amount int64, reference string, ifMatch Precondition, meta Metadata,
) (CommandResult, error)

func (a *api) changeBalance(c echo.Context, run balanceCommand) error {
	id, err := web.PathUUID(c, "id")
	if err != nil {
		return err
	}
	ifMatch, err := readIfMatch(c)
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
	res, err := run(c.Request().Context(), id, amount, req.Reference, ifMatch, metadataFor(c))
	if err != nil {
		return problemFor(err)
	}
	return respondCommand(c, http.StatusOK, res)
}

// closeRequest is the optional body of POST /accounts/{id}/close: {"payout": true}
// pays the balance out first, in the same command (stretch task 3.5).
type closeRequest struct {
	Payout bool `json:"payout"`
}

func (a *api) close(c echo.Context) error {
	id, err := web.PathUUID(c, "id")
	if err != nil {
		return err
	}
	var req closeRequest
	if err := web.DecodeOptionalJSON(c, &req); err != nil {
		return err
	}
	ifMatch, err := readIfMatch(c)
	if err != nil {
		return err
	}
	closeAccount := a.commands.Close
	if req.Payout {
		closeAccount = a.commands.CloseWithPayout
	}
	res, err := closeAccount(c.Request().Context(), id, ifMatch, metadataFor(c))
	if err != nil {
		return problemFor(err)
	}
	return respondCommand(c, http.StatusOK, res)
}

// respondCommand answers a command with its result and the account's new ETag.
func respondCommand(c echo.Context, status int, res CommandResult) error {
	c.Response().Header().Set("ETag", etag(res.Version))
	return c.JSON(status, res)
}

func etag(version int64) string { return fmt.Sprintf(`"%d"`, version) }
