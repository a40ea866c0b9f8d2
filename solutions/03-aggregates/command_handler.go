package bank

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
)

// CommandHandler runs each command the same way: load the account, let it decide,
// save what it recorded with the version it was loaded at. When the save meets a
// concurrency conflict, the decision was made on stale state: the handler loads
// the account again and lets it decide again, a bounded number of times.

// DefaultMaxAttempts bounds the retries of one command. A command only loses a
// round when another command on the same account wins it, so it is starved only
// under heavy contention on one account; then the client gets a 409.
const DefaultMaxAttempts = 12

// ErrStaleVersion: the client's If-Match names a version the account has left (HTTP 412).
var ErrStaleVersion = errors.New("stale version")

// StaleVersionError says which version the client expected and, when known, which it found.
type StaleVersionError struct {
	Expected int64
	Actual   int64 // 0 when the account moved on while the command ran
}

func (e *StaleVersionError) Error() string {
	if e.Actual == 0 {
		return fmt.Sprintf("%v: If-Match names version %d, and the account changed while the command ran", ErrStaleVersion, e.Expected)
	}
	return fmt.Sprintf("%v: If-Match names version %d, the account is at version %d", ErrStaleVersion, e.Expected, e.Actual)
}

func (e *StaleVersionError) Unwrap() error { return ErrStaleVersion }

// CommandHandler handles the bank's commands.
type CommandHandler struct {
	repo        *AccountRepository
	factory     *AccountFactory
	maxAttempts int
}

// NewCommandHandler handles commands against repo; factory creates new accounts.
func NewCommandHandler(repo *AccountRepository, factory *AccountFactory) *CommandHandler {
	return &CommandHandler{repo: repo, factory: factory, maxAttempts: DefaultMaxAttempts}
}

// CommandResult is where a command's last event landed.
type CommandResult struct {
	AccountID uuid.UUID `json:"id"`
	Version   int64     `json:"version"`  // the stream's version after the command
	Position  int64     `json:"position"` // the global position of its last event
}

// Open creates an account through the factory and saves it.
func (h *CommandHandler) Open(
	ctx context.Context, cmd OpenAccount, meta Metadata,
) (CommandResult, error) {
	acc, err := h.factory.Open(cmd)
	if err != nil {
		return CommandResult{}, err
	}
	stored, err := h.repo.Save(ctx, acc, meta)
	if err != nil {
		return CommandResult{}, err
	}
	return resultOf(acc.ID(), stored), nil
}

// Deposit, Withdraw and Close take an optional If-Match version: when set, the
// command runs only on that exact version and is never retried. The amount is
// checked before anything is loaded, so a malformed command costs no read; the
// aggregate checks it again, because the rule is the aggregate's to keep.

func (h *CommandHandler) Deposit(
	ctx context.Context, id uuid.UUID, amount int64, ifMatch *int64, meta Metadata,
) (CommandResult, error) {
	if err := checkAmount(amount); err != nil {
		return CommandResult{}, err
	}
	return h.execute(ctx, id, ifMatch, meta, func(a *Account) error { return a.Deposit(amount) })
}

func (h *CommandHandler) Withdraw(
	ctx context.Context, id uuid.UUID, amount int64, ifMatch *int64, meta Metadata,
) (CommandResult, error) {
	if err := checkAmount(amount); err != nil {
		return CommandResult{}, err
	}
	return h.execute(ctx, id, ifMatch, meta, func(a *Account) error { return a.Withdraw(amount) })
}

func (h *CommandHandler) Close(
	ctx context.Context, id uuid.UUID, ifMatch *int64, meta Metadata,
) (CommandResult, error) {
	return h.execute(ctx, id, ifMatch, meta, (*Account).Close)
}

// execute loads, decides and saves; on a concurrency conflict it starts over
// with a fresh load, so the retry decides on the state that won, never re-sends
// the old decision.
func (h *CommandHandler) execute(
	ctx context.Context, id uuid.UUID, ifMatch *int64, meta Metadata, decide func(*Account) error,
) (CommandResult, error) {
	//exercise:begin 3.4 Loop: load, check If-Match, decide, save; on ErrConcurrency decide again on a fresh load.
	// How each attempt ends:
	//   - saved: return resultOf(id, stored)
	//   - any error but ErrConcurrency: return it
	//   - ErrConcurrency with ifMatch set: the client's version is stale (&StaleVersionError{Expected: *ifMatch})
	//   - ErrConcurrency on attempt h.maxAttempts: return it (HTTP 409)
	//   - otherwise: pause(ctx, attempt), then load again and decide again
	for attempt := 1; ; attempt++ {
		acc, err := h.repo.Load(ctx, id)
		if err != nil {
			return CommandResult{}, err
		}
		if ifMatch != nil && *ifMatch != acc.Version() {
			return CommandResult{}, &StaleVersionError{Expected: *ifMatch, Actual: acc.Version()}
		}
		if err := decide(acc); err != nil {
			return CommandResult{}, err
		}
		stored, err := h.repo.Save(ctx, acc, meta)
		switch {
		case err == nil:
			return resultOf(id, stored), nil
		case !errors.Is(err, ErrConcurrency):
			return CommandResult{}, err
		case ifMatch != nil:
			return CommandResult{}, &StaleVersionError{Expected: *ifMatch}
		case attempt == h.maxAttempts:
			return CommandResult{}, fmt.Errorf("gave up after %d attempts: %w", attempt, err)
		}
		if err := pause(ctx, attempt); err != nil {
			return CommandResult{}, err
		}
	}
	//exercise:stub return CommandResult{}, exercise.Todo("3.4")
	//exercise:end
}

// Retry pauses: a random time below a ceiling that doubles each attempt, from
// firstPause up to maxPause. The randomness (jitter) keeps commands that collided
// once from colliding again in lockstep.
const (
	firstPause = time.Millisecond
	maxPause   = 32 * time.Millisecond
)

// pause waits before retry number attempt.
func pause(ctx context.Context, attempt int) error {
	ceiling := min(firstPause<<(attempt-1), maxPause)
	timer := time.NewTimer(rand.N(ceiling) + 1)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// resultOf reports where a command's last stored event landed.
func resultOf(id uuid.UUID, stored []Envelope) CommandResult {
	last := stored[len(stored)-1]
	return CommandResult{AccountID: id, Version: last.Version, Position: last.Position}
}
