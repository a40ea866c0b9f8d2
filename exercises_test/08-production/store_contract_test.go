package production_test

import (
	"context"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// TestGuard_TheEventStoreKeepsItsContract: the promises of the event store (spec/store.go). Stage 2 built the store; every promise it made still holds.
func TestGuard_TheEventStoreKeepsItsContract(t *testing.T) {
	spec.CheckStoreContract(t, stage, storeContract)
}

var storeContract = spec.StoreContract[bank.Event]{
	New:                 openStore,
	Opened:              bank.AccountOpened{AccountID: "0190c6a8-7d3e-7a1b-9c2d-3e4f5a6b7c8d", Holder: bank.Holder{LegalName: "Ada", Type: bank.Person}, Kind: bank.Checking, Currency: "EUR"},
	Deposited:           func(amount int64) bank.Event { return bank.MoneyDeposited{Amount: amount} },
	Unregistered:        nil,
	ErrConcurrency:      bank.ErrConcurrency,
	ErrUnknownEventType: bank.ErrUnknownEventType,
}

// openStore adapts this stage's EventStore to the contract's view of it.
func openStore(ctx context.Context, db *sqlitedb.DB) (spec.Store[bank.Event], error) {
	store, err := bank.NewEventStore(ctx, db, bank.NewRegistry())
	if err != nil {
		return spec.Store[bank.Event]{}, err
	}
	meta := bank.Metadata{CorrelationID: "contract", CausationID: "contract", UserID: "contract"}
	return spec.Store[bank.Event]{
		Append: func(ctx context.Context, stream string, expected int64, events ...bank.Event) ([]spec.Stored[bank.Event], error) {
			return stored(store.Append(ctx, stream, expected, meta, events...))
		},
		Load: func(ctx context.Context, stream string) ([]spec.Stored[bank.Event], error) {
			return stored(store.Load(ctx, stream))
		},
		ReadAll: func(ctx context.Context, after int64, limit int) ([]spec.Stored[bank.Event], error) {
			return stored(store.ReadAll(ctx, after, limit))
		},
	}, nil
}

func stored(envelopes []bank.Envelope, err error) ([]spec.Stored[bank.Event], error) {
	out := make([]spec.Stored[bank.Event], len(envelopes))
	for i, e := range envelopes {
		out[i] = spec.Stored[bank.Event]{Stream: e.StreamID, Version: e.Version, Position: e.Position, Event: e.Event}
	}
	return out, err
}
