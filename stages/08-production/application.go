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
//
// From this stage the bank also tells other services what happened: every
// command's events are announced by integration events (integration_events.go),
// written to the outbox in the append's transaction, and the relay (relay.go)
// delivers them to a Publisher (publishers.go): by default the statement service
// (statements.go), which processes each message once in effect.

// Application is the bank's use cases.
type Application struct {
	Commands Commands
	Queries  Queries
	// Projector keeps the read models up to date while it runs (NewServer runs it).
	Projector *Projector
	// Relay delivers the outbox while it runs (NewServer runs it too).
	Relay *Relay
	// Outbox is what GET /outbox and GET /dead-letters show.
	Outbox *OutboxView
	// Statements is the statement service, a consumer of the bank's messages.
	Statements *Statements
	// Metrics counts the commands and how accounts were loaded (GET /metrics).
	Metrics *Metrics
}

// Options are what the bank can be wired with; the zero value is the default.
type Options struct {
	// Publisher receives the integration messages: a Webhook (cmd/server -webhook
	// URL), or by default the statement service inside this process.
	Publisher Publisher
	// Relay tunes the relay; the zero value is DefaultRelayConfig().
	Relay RelayConfig
	// SnapshotEvery is how many events a stream grows between two snapshots of
	// its account (snapshots.go); 0 is DefaultSnapshotEvery, below 0 is never.
	SnapshotEvery int64
}

// DefaultSnapshotEvery: a snapshot every 100 events. Loading 100 events is one
// indexed read of 100 rows, so most accounts never need a snapshot; the accounts
// that do are the busy ones. Measure before lowering it: each snapshot is a
// write, and a load from one still reads the events after it.
const DefaultSnapshotEvery = 100

// Commands change the bank; each answers where its last event landed.
type Commands struct {
	OpenAccount   Handler[OpenAccount]   // open_account.go
	DepositMoney  Handler[DepositMoney]  // deposit_money.go
	WithdrawMoney Handler[WithdrawMoney] // withdraw_money.go
	CloseAccount  Handler[CloseAccount]  // close_account.go
	// ForgetPersonalData: forget_personal_data.go
	ForgetPersonalData Handler[ForgetPersonalData]
}

// Queries read the bank; each read model query can wait for a position.
type Queries struct {
	Account            func(ctx context.Context, id uuid.UUID) (AccountView, error) // the write model: the aggregate
	TransactionHistory QueryFunc[TransactionsQuery, TransactionsPage]               // read_model_transactions.go
	AccountsByOwner    QueryFunc[OwnerQuery, OwnerPage]                             // read_model_owners.go
	DailyTotals        QueryFunc[DailyTotalsQuery, DailyTotalsReport]               // read_model_daily_totals.go
	Projections        func(ctx context.Context) ([]ProjectionStatus, error)        // projector.go
}

// NewApplication wires the bank on the event store, the read models and the
// outbox in db.
func NewApplication(ctx context.Context, db *sqlitedb.DB, store *EventStore, log *slog.Logger, opts Options) (*Application, error) {
	projector, err := NewProjector(ctx, db, store, log, TransactionHistory(), AccountsByOwner(), DailyTotals())
	if err != nil {
		return nil, err
	}
	statements, err := NewStatements(ctx, db, log)
	if err != nil {
		return nil, err
	}
	if opts.Publisher == nil {
		opts.Publisher = statements
	}
	if opts.Relay == (RelayConfig{}) {
		opts.Relay = DefaultRelayConfig()
	}
	relay, err := NewRelay(store, opts.Publisher, opts.Relay, log)
	if err != nil {
		return nil, err
	}

	snapshots, err := NewSnapshots(ctx, db)
	if err != nil {
		return nil, err
	}
	if opts.SnapshotEvery == 0 {
		opts.SnapshotEvery = DefaultSnapshotEvery
	}
	metrics := NewMetrics()
	factory := NewAccountFactory()
	repo := NewAccountRepository(store, factory, snapshots, opts.SnapshotEvery, metrics, log)
	h := &accountCommands{repo: repo, factory: factory, maxAttempts: DefaultMaxAttempts}
	return &Application{
		Commands: Commands{
			OpenAccount:        pipeline(log, metrics, h.openAccount),
			DepositMoney:       pipeline(log, metrics, h.depositMoney),
			WithdrawMoney:      pipeline(log, metrics, h.withdrawMoney),
			CloseAccount:       pipeline(log, metrics, h.closeAccount),
			ForgetPersonalData: pipeline(log, metrics, h.forgetPersonalData),
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
		},
		Projector:  projector,
		Relay:      relay,
		Outbox:     &OutboxView{relay: relay, outbox: relay.outbox},
		Statements: statements,
		Metrics:    metrics,
	}, nil
}
