package bank

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Bank runs the commands of stage 2 as transaction scripts: read the account's
// history, fold it into the current state, check the rules, append the new event
// with the version that was read as the expected version. If another request
// appended in between, Append refuses and the command fails with ErrConcurrency;
// stage 3 moves the rules into an aggregate and retries such conflicts.
type Bank struct {
	store *EventStore
}

// NewBank runs commands against store.
func NewBank(store *EventStore) *Bank { return &Bank{store: store} }

// CommandResult is where a command's last event landed.
type CommandResult struct {
	AccountID uuid.UUID `json:"id"`
	Version   int64     `json:"version"`  // the stream's version after the command
	Position  int64     `json:"position"` // the global position of its last event
}

// Open starts a new account's stream.
func (b *Bank) Open(ctx context.Context, cmd OpenAccount, meta Metadata) (CommandResult, error) {
	if err := cmd.Validate(); err != nil {
		return CommandResult{}, err
	}
	id := uuid.New()
	opened := AccountOpened{AccountID: id.String(), Owner: cmd.Owner, Kind: cmd.Kind,
		Currency: cmd.Currency, OverdraftLimit: cmd.OverdraftLimit}
	return b.record(ctx, id, 0, meta, opened)
}

// Deposit pays amount into an open account, for the reason in reference.
func (b *Bank) Deposit(
	ctx context.Context, id uuid.UUID, amount int64, reference string, meta Metadata,
) (CommandResult, error) {
	acc, err := b.openAccountFor(ctx, id, amount, reference)
	if err != nil {
		return CommandResult{}, err
	}
	if acc.Balance > MaxBalance-amount {
		return CommandResult{}, ErrBalanceLimit
	}
	return b.record(ctx, id, acc.Version, meta, MoneyDeposited{Amount: amount, Reference: reference})
}

// Withdraw pays amount out of an open account, down to its overdraft limit, for
// the reason in reference.
func (b *Bank) Withdraw(
	ctx context.Context, id uuid.UUID, amount int64, reference string, meta Metadata,
) (CommandResult, error) {
	acc, err := b.openAccountFor(ctx, id, amount, reference)
	if err != nil {
		return CommandResult{}, err
	}
	if acc.Balance-amount < -acc.OverdraftLimit {
		return CommandResult{}, ErrInsufficientFunds
	}
	return b.record(ctx, id, acc.Version, meta, MoneyWithdrawn{Amount: amount, Reference: reference})
}

// Close closes an open account whose balance is zero.
func (b *Bank) Close(ctx context.Context, id uuid.UUID, meta Metadata) (CommandResult, error) {
	acc, err := b.Account(ctx, id)
	switch {
	case err != nil:
		return CommandResult{}, err
	case acc.Status == StatusClosed:
		return CommandResult{}, ErrAccountClosed
	case acc.Balance != 0:
		return CommandResult{}, ErrBalanceNotZero
	}
	return b.record(ctx, id, acc.Version, meta, AccountClosed{})
}

// Account is the current state of an account: its history, folded.
func (b *Bank) Account(ctx context.Context, id uuid.UUID) (Account, error) {
	history, err := b.History(ctx, id)
	if err != nil {
		return Account{}, err
	}
	return Replay(history)
}

// AccountAsOf is the account as it was at asOf: the part of its history recorded
// by then, folded. A time before the account was opened is ErrNotOpenYet, and the
// error says when it was opened.
func (b *Bank) AccountAsOf(ctx context.Context, id uuid.UUID, asOf time.Time) (Account, error) {
	history, err := b.History(ctx, id)
	if err != nil {
		return Account{}, err
	}
	acc, err := ReplayAsOf(history, asOf)
	if errors.Is(err, ErrNotOpenYet) {
		return Account{}, fmt.Errorf("%w: it was opened at %s, after %s", err,
			history[0].RecordedAt.Format(time.RFC3339Nano), asOf.UTC().Format(time.RFC3339Nano))
	}
	return acc, err
}

// History is an account's stream; an unknown account is ErrAccountNotFound.
func (b *Bank) History(ctx context.Context, id uuid.UUID) ([]Envelope, error) {
	history, err := b.store.Load(ctx, StreamID(id.String()))
	if err == nil && len(history) == 0 {
		return nil, ErrAccountNotFound
	}
	return history, err
}

// openAccountFor checks an amount and its reference, then loads an account that
// must be open.
func (b *Bank) openAccountFor(ctx context.Context, id uuid.UUID, amount int64, reference string) (Account, error) {
	if err := checkAmount(amount); err != nil {
		return Account{}, err
	}
	if err := checkReference(reference); err != nil {
		return Account{}, err
	}
	acc, err := b.Account(ctx, id)
	if err == nil && acc.Status == StatusClosed {
		return Account{}, ErrAccountClosed
	}
	return acc, err
}

// record appends events to an account's stream at the version the decision was based on.
func (b *Bank) record(
	ctx context.Context, id uuid.UUID, expectedVersion int64, meta Metadata, events ...Event,
) (CommandResult, error) {
	stored, err := b.store.Append(ctx, StreamID(id.String()), expectedVersion, meta, events...)
	if err != nil {
		return CommandResult{}, err
	}
	last := stored[len(stored)-1]
	return CommandResult{AccountID: id, Version: last.Version, Position: last.Position}, nil
}
