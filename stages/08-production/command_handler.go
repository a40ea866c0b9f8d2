package bank

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The account commands run the same way: load the account, let it decide, save
// what it recorded with the version it was loaded at. When the save meets a
// concurrency conflict, the decision was made on stale state: the handler loads
// the account again and lets it decide again, a bounded number of times. Each
// command's own handler (deposit_money.go, ...) says only how its account decides.
//
// A command sent with an Idempotency-Key that was used before is answered with its
// first result before it decides (a retry that comes late), or by the append that
// finds the key in its transaction (a copy that came at the same time).

// DefaultMaxAttempts bounds the retries of one command. A command only loses a
// round when another command on the same account wins it, so it is starved only
// under heavy contention on one account; then the client gets a 409.
const DefaultMaxAttempts = 12

// accountCommands is what the handlers of the account commands share.
type accountCommands struct {
	repo        *AccountRepository
	factory     *AccountFactory
	maxAttempts int
}

// CommandResult is where a command's last event landed.
type CommandResult struct {
	AccountID uuid.UUID `json:"id"`
	Version   int64     `json:"version"`  // the stream's version after the command
	Position  int64     `json:"position"` // the global position of its last event
	// Replayed: the command had been carried out before under its Idempotency-Key;
	// this is that first result, and nothing was written now.
	Replayed bool `json:"-"`
}

// checkMoney checks what a deposit and a withdrawal carry: the account, the
// amount and the reference (the aggregate checks the last two again: its rules).
func checkMoney(id uuid.UUID, amount int64, reference string) error {
	if err := checkAccountID(id); err != nil {
		return err
	}
	if err := checkAmount(amount); err != nil {
		return err
	}
	return checkReference(reference)
}

// checkAccountID refuses the nil UUID, which is no account's id: the bank gives
// every account a random one.
func checkAccountID(id uuid.UUID) error {
	if id == uuid.Nil {
		return &ValidationError{Field: "id", Problem: "must be an account's id, not the nil UUID"}
	}
	return nil
}

// execute loads, decides and saves; on a concurrency conflict it starts over
// with a fresh load, so the retry decides on the state that won, never re-sends
// the old decision.
func (h *accountCommands) execute(
	ctx context.Context, id uuid.UUID, ifMatch Precondition, meta Metadata, key *IdempotencyKey, decide func(*Account) error,
) (CommandResult, error) {
	// If-Match: a client that set ifMatch (ifMatch.IsSet()) accepts only the versions
	// it allows (ifMatch.Allows). Another version, or a conflict, is a *StaleVersionError
	// (HTTP 412), never retried.
	for attempt := 1; ; attempt++ {
		acc, err := h.repo.Load(ctx, id)
		if err != nil {
			return CommandResult{}, err
		}
		// The key after the load, never before: the key and the events of the first
		// copy commit together, so a load that already sees them is followed by a
		// check that finds the key. The other way round, the first copy can commit
		// in between, and this copy decides again on a state with its own effect in
		// it (a second close of a closed account: a 422 instead of the first answer).
		if err := h.repo.CheckKey(ctx, key); err != nil {
			return earlier(err)
		}
		if !ifMatch.Allows(acc.Version()) {
			return CommandResult{}, &StaleVersionError{Expected: ifMatch, Actual: acc.Version()}
		}
		if err := decide(acc); err != nil {
			return CommandResult{}, err
		}
		stored, err := h.repo.Save(ctx, acc, meta, key)
		switch {
		case err == nil:
			return resultOf(id, stored), nil
		case !errors.Is(err, ErrConcurrency):
			return earlier(err)
		case ifMatch.IsSet():
			return CommandResult{}, &StaleVersionError{Expected: ifMatch}
		case attempt == h.maxAttempts:
			return CommandResult{}, fmt.Errorf("gave up after %d attempts: %w", attempt, err)
		}
		if err := pause(ctx, attempt); err != nil {
			return CommandResult{}, err
		}
	}
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

// earlier turns "this Idempotency-Key was used before for the same request" (an
// *AlreadyDoneError) into the first command's result. Other errors stay errors.
func earlier(err error) (CommandResult, error) {
	var done *AlreadyDoneError
	if !errors.As(err, &done) {
		return CommandResult{}, err
	}
	// The stream is one this bank wrote, "account-" and the account's id: it parses.
	id, _ := uuid.Parse(strings.TrimPrefix(done.StreamID, StreamID("")))
	return CommandResult{AccountID: id, Version: done.Version, Position: done.Position, Replayed: true}, nil
}
