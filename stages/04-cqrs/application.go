package bank

import (
	"context"
	"log/slog"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
	"github.com/google/uuid"
)

// The whole bank in one place: every command it carries out and every question it
// answers. The two sides do not share a model (CQRS, Young). Commands go through
// the command pipeline (dispatcher.go) to the Account aggregate and the event
// store: the write model. Queries read read models, each a table designed for its
// one question and kept up to date by its projection (projector.go) — except
// Account, which rebuilds the aggregate from its stream: one account's current
// state, read with its version for If-Match, is what the write model has anyway.
// The log itself (GET /events, GET /accounts/{id}/events) is read from the event
// store (http_events.go).

// Application is the bank's use cases.
type Application struct {
	Commands Commands
	Queries  Queries
	// Projector keeps the read models up to date while it runs (NewServer runs it).
	Projector *Projector
}

// Commands change the bank; each answers where its last event landed.
type Commands struct {
	OpenAccount   Handler[OpenAccount]   // open_account.go
	DepositMoney  Handler[DepositMoney]  // deposit_money.go
	WithdrawMoney Handler[WithdrawMoney] // withdraw_money.go
	CloseAccount  Handler[CloseAccount]  // close_account.go
}

// Queries read the bank; each read model query can wait for a position.
type Queries struct {
	Account            func(ctx context.Context, id uuid.UUID) (AccountView, error) // the write model: the aggregate
	TransactionHistory QueryFunc[TransactionsQuery, TransactionsPage]               // read_model_transactions.go
	AccountsByOwner    QueryFunc[OwnerQuery, OwnerPage]                             // read_model_owners.go
	DailyTotals        QueryFunc[DailyTotalsQuery, DailyTotalsReport]               // read_model_daily_totals.go
	AccountsOverdrawn  QueryFunc[OverdrawnQuery, OverdrawnPage]                     // read_model_overdrawn.go
	Projections        func(ctx context.Context) ([]ProjectionStatus, error)        // projector.go
}

// NewApplication wires the bank on the event store and the read models in db.
func NewApplication(ctx context.Context, db *sqlitedb.DB, store *EventStore, log *slog.Logger) (*Application, error) {
	// TODO(4.5): Stretch (optional), once applyOverdrawn is written: register its
	//   projection, AccountsOverdrawn(), in this list (then its query below, and its
	//   route in http_api.go).
	// A projection not in this list never runs: its tables are never made, its
	// checkpoint never starts, and nothing answers its question.
	projector, err := NewProjector(ctx, db, store, log, TransactionHistory(), AccountsByOwner(), DailyTotals())
	if err != nil {
		return nil, err
	}

	factory := NewAccountFactory()
	repo := NewAccountRepository(store, factory)
	h := &accountCommands{repo: repo, factory: factory, maxAttempts: DefaultMaxAttempts}
	return &Application{
		Commands: Commands{
			OpenAccount:   pipeline(log, h.openAccount),
			DepositMoney:  pipeline(log, h.depositMoney),
			WithdrawMoney: pipeline(log, h.withdrawMoney),
			CloseAccount:  pipeline(log, h.closeAccount),
		},
		Queries: Queries{
			Account: func(ctx context.Context, id uuid.UUID) (AccountView, error) {
				acc, err := repo.Load(ctx, id)
				if err != nil {
					return AccountView{}, err
				}
				return acc.View(), nil
			},
			TransactionHistory: consistent(projector, projector.Projection(TransactionHistoryProjection), readFrom(db.Read, readTransactions)),
			AccountsByOwner:    consistent(projector, projector.Projection(AccountsByOwnerProjection), readFrom(db.Read, readOwnedAccounts)),
			DailyTotals:        consistent(projector, projector.Projection(DailyTotalsProjection), readFrom(db.Read, readDailyTotals)),
			Projections:        projector.Statuses,
			// TODO(4.5): Stretch (optional): wire Queries.AccountsOverdrawn as the read
			//   models above are wired: consistent, on its projection
			//   (AccountsOverdrawnProjection), reading with readOverdrawn.
			// AccountsOverdrawn: not wired yet (nil): GET /reports/overdrawn has no route until it is.
		},
		Projector: projector,
	}, nil
}
