package bank

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// AccountRepository loads accounts from the event store and saves what they record.
// It is the only code that knows an account is a stream: callers see Accounts.
type AccountRepository struct {
	store   *EventStore
	factory *AccountFactory
}

// NewAccountRepository stores accounts in store, rebuilding them with factory.
func NewAccountRepository(store *EventStore, factory *AccountFactory) *AccountRepository {
	return &AccountRepository{store: store, factory: factory}
}

// Load rebuilds an account from its stream; an empty stream is ErrAccountNotFound.
func (r *AccountRepository) Load(ctx context.Context, id uuid.UUID) (*Account, error) {
	history, err := r.store.Load(ctx, StreamID(id.String()))
	if err != nil {
		return nil, err
	}
	if len(history) == 0 {
		return nil, ErrAccountNotFound
	}
	return r.factory.Reconstitute(history)
}

// Save appends the account's new events at the version it was loaded at. If the
// stream moved on in the meantime, Append refuses with ErrConcurrency and nothing
// is written. With an idempotency key (not nil), the key is recorded in the same
// transaction, and a key used before appends nothing (see AppendOnce). The
// integration events that announce the new events (integration_events.go) go to
// the outbox in that transaction too.
func (r *AccountRepository) Save(
	ctx context.Context, acc *Account, meta Metadata, key *IdempotencyKey,
) ([]Envelope, error) {
	if len(acc.Changes()) == 0 {
		return nil, errors.New("save: the command recorded no event")
	}
	stored, err := r.store.AppendOnce(ctx, key, IntegrationEvents(acc.View()), StreamID(acc.ID().String()), acc.Version(), meta, acc.Changes()...)
	if err != nil {
		return nil, fmt.Errorf("save account %s: %w", acc.ID(), err)
	}
	return stored, nil
}

// CheckKey looks an idempotency key up, right after the load and before the decision (see
// EventStore.CheckKey); a nil key was never used.
func (r *AccountRepository) CheckKey(ctx context.Context, key *IdempotencyKey) error {
	if key == nil {
		return nil
	}
	return r.store.CheckKey(ctx, *key)
}
