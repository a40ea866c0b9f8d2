package bank

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

// Two kinds of failure stop a batch, and they call for opposite answers.
//
//   - A poison event fails every time: its data does not decode, its type is one
//     this code does not know, or its values break what the read model can hold.
//     Trying again is pointless and blocks every event behind it: park it
//     (projector_batch.go) and go on.
//   - A transient failure is about the moment, not the event: the database is
//     busy (another process holds the write lock beyond the busy timeout), a
//     disk is briefly full. Parking would be wrong, the event is fine: try the
//     same batch again, after a pause that grows, a few times. If it still
//     fails, the projection stops and says why on GET /projections; it goes on
//     from its checkpoint when the server starts again.

// The retries of a transient failure: TransientAttempts tries in all, the pause
// before the second FirstTransientDelay, doubling up to MaxTransientDelay, each
// with up to a quarter more at random so that servers do not retry in step.
const (
	TransientAttempts   = 6
	FirstTransientDelay = 20 * time.Millisecond
	MaxTransientDelay   = time.Second
)

// isTransient reports whether err is worth trying again: the database was busy.
func isTransient(err error) bool {
	return sqlitedb.IsBusy(err)
}

// retryTransient tries apply again after its first attempt failed with the
// transient error failed: until it succeeds, fails with an error that is not
// transient, or has failed TransientAttempts times in all, pausing before each
// attempt (transientDelay). It gives up at once when ctx ends.
func (r *ProjectionRun) retryTransient(ctx context.Context, apply func() error, failed error) error {
	err := failed
	for attempt := 1; attempt < TransientAttempts; attempt++ {
		pause := transientDelay(attempt)
		r.log.Warn("projection: database busy, trying the batch again", "projection", r.Name, "attempt", attempt+1, "in", pause, "error", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		if err = apply(); err == nil || !isTransient(err) {
			return err
		}
	}
	return fmt.Errorf("still failing after %d attempts: %w", TransientAttempts, err)
}

// transientDelay is the pause after the attempt-th failure: FirstTransientDelay
// doubled attempt-1 times, at most MaxTransientDelay, plus up to a quarter of it at random.
func transientDelay(attempt int) time.Duration {
	pause := FirstTransientDelay << min(attempt-1, 16)
	pause = min(pause, MaxTransientDelay)
	return pause + rand.N(pause/4+1)
}
