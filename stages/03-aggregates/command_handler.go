package bank

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/go-es-workshop/kit/internal/exercise"
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

// Deposit, Withdraw and Close take the client's precondition (If-Match): when it
// is set, the command runs only on one of its versions and is never retried. The
// amount and the reference are checked before anything is loaded, so a malformed
// command costs no read; the aggregate checks them again, because the rules are
// the aggregate's to keep.

func (h *CommandHandler) Deposit(
	ctx context.Context, id uuid.UUID, amount int64, reference string, ifMatch Precondition, meta Metadata,
) (CommandResult, error) {
	if err := checkInput(amount, reference); err != nil {
		return CommandResult{}, err
	}
	return h.execute(ctx, id, ifMatch, meta, func(a *Account) error { return a.Deposit(amount, reference) })
}

func (h *CommandHandler) Withdraw(
	ctx context.Context, id uuid.UUID, amount int64, reference string, ifMatch Precondition, meta Metadata,
) (CommandResult, error) {
	if err := checkInput(amount, reference); err != nil {
		return CommandResult{}, err
	}
	return h.execute(ctx, id, ifMatch, meta, func(a *Account) error { return a.Withdraw(amount, reference) })
}

func (h *CommandHandler) Close(
	ctx context.Context, id uuid.UUID, ifMatch Precondition, meta Metadata,
) (CommandResult, error) {
	return h.execute(ctx, id, ifMatch, meta, (*Account).Close)
}

// CloseWithPayout pays the balance out and closes the account: one command, two
// events, saved in one append (stretch task 3.5).
func (h *CommandHandler) CloseWithPayout(
	ctx context.Context, id uuid.UUID, ifMatch Precondition, meta Metadata,
) (CommandResult, error) {
	return h.execute(ctx, id, ifMatch, meta, (*Account).CloseWithPayout)
}

// checkInput checks the amount and the reference of a deposit or a withdrawal.
func checkInput(amount int64, reference string) error {
	if err := checkAmount(amount); err != nil {
		return err
	}
	return checkReference(reference)
}

// execute loads, decides and saves; on a concurrency conflict it starts over
// with a fresh load, so the retry decides on the state that won, never re-sends
// the old decision.
func (h *CommandHandler) execute(
	ctx context.Context, id uuid.UUID, ifMatch Precondition, meta Metadata, decide func(*Account) error,
) (CommandResult, error) {
	// TODO(3.4): Load, decide and save in a loop: on ErrConcurrency load the account
	//   again and decide again, up to h.maxAttempts times, with pause(ctx, attempt) in
	//   between.
	// If-Match: a client that set ifMatch (ifMatch.IsSet()) accepts only the versions
	// it allows (ifMatch.Allows). Another version, or a conflict, is a *StaleVersionError
	// (HTTP 412), never retried.
	return CommandResult{}, exercise.Todo("3.4")
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
	timer := time.NewTimer(RetryPause(attempt))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// RetryPause is how long to wait before retry number attempt: at least 1ns, at
// most the ceiling of that attempt. The ceiling doubles step by step and stops at
// maxPause, so no attempt number can overflow it (firstPause<<(attempt-1) would,
// from attempt 45 on).
func RetryPause(attempt int) time.Duration {
	ceiling := firstPause
	for n := 1; n < attempt && ceiling < maxPause; n++ {
		ceiling *= 2
	}
	return rand.N(min(ceiling, maxPause)) + 1
}

// resultOf reports where a command's last stored event landed.
func resultOf(id uuid.UUID, stored []Envelope) CommandResult {
	last := stored[len(stored)-1]
	return CommandResult{AccountID: id, Version: last.Version, Position: last.Position}
}
