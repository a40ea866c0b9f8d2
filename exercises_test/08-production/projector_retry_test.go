package production_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// Stage 6 (kept): a busy database is tried again, with backoff, a few times.

// flaky is a tally projection whose first `failures` calls meet a busy database;
// it records when each call came.
func flaky(t *testing.T, failures int) (bank.Projection, func() []time.Time) {
	busy := busyError(t)
	var mu sync.Mutex
	var calls []time.Time
	p, _ := tally("tally", func(bank.Envelope) error {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, time.Now())
		if len(calls) <= failures {
			return fmt.Errorf("writing the row: %w", busy)
		}
		return nil
	})
	return p, func() []time.Time {
		mu.Lock()
		defer mu.Unlock()
		return append([]time.Time(nil), calls...)
	}
}

// runProjector runs projector until the test ends; stop ends it and waits.
func runProjector(t *testing.T, projector *bank.Projector) (stop func() time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { projector.Run(ctx); close(done) }()
	stop = func() time.Duration {
		started := time.Now()
		cancel()
		<-done
		return time.Since(started)
	}
	t.Cleanup(func() { stop() })
	return stop
}

func TestGuard_ABusyDatabaseIsTriedAgainWithGrowingPauses(t *testing.T) {
	c := spec.Guard(t, stage, "projector_retry.go", "a busy database is tried again with growing pauses")
	a := newApp(c, t)
	p, calls := flaky(t, 3)
	projector := a.projector(c, p)
	opening := a.appendLog(c, ada, opened(ada, "Ada Lovelace", "EUR"))[0]
	c.Doing("run a projection that meets a busy database 3 times, then not")
	runProjector(t, projector)
	c.NoError(<-waitFor(c, projector.Projection("tally"), opening.Position), "WaitFor(1): the batch is tried again until it passes")
	c.Equal(0, len(a.consumerDeadLetters(c, "tally")),
		"events parked (a busy database is no poison: applyOne, projector_batch.go, returns a transient error instead of parking it)")
	c.Equal(fmt.Sprintf("%s 1 0", short(bank.StreamID(adaID))), tallies(c, a, "tally"), "the rows (the event applied once)")
	at := calls()
	c.Equal(4, len(at), "calls of Apply (3 busy, 1 that passed)")
	for i, least := range []time.Duration{bank.FirstTransientDelay, 2 * bank.FirstTransientDelay, 4 * bank.FirstTransientDelay} {
		gap := at[i+1].Sub(at[i])
		c.That(gap >= least && gap < least*2+200*time.Millisecond, fmt.Sprintf("a pause of %s to %s before attempt %d (doubling, with a little jitter)", least, least*2, i+2), gap.String())
	}
	c.That(strings.Contains(a.serverLog.String(), "busy"), "each retry in the server's log", a.serverLog.String())
	c.Equal("running", a.statusOf(c, projector, "tally").Status, "the projection's status")
}

func TestGuard_ABusyDatabaseThatStaysBusyStopsTheProjection(t *testing.T) {
	c := spec.Guard(t, stage, "projector_retry.go", "a busy database that stays busy stops the projection")
	a := newApp(c, t)
	p, calls := flaky(t, 1000)
	projector := a.projector(c, p)
	a.appendLog(c, ada, opened(ada, "Ada Lovelace", "EUR"))
	c.Doing("run a projection that meets a busy database every time")
	runProjector(t, projector)
	err := <-waitFor(c, projector.Projection("tally"), 1)
	s := a.statusOf(c, projector, "tally")
	c.That(err != nil && s.Status == "failed" && s.Checkpoint == 0 && strings.Contains(s.Error, "locked"),
		"WaitFor failing, and the projection failed at checkpoint 0, with the busy error", fmt.Sprintf("%v; %+v", err, s))
	c.Equal(bank.TransientAttempts, len(calls()), "calls of Apply (TransientAttempts in all, then it gives up)")
	c.Equal(0, len(a.consumerDeadLetters(c, "tally")), "events parked")
}

func TestGuard_AnyOtherFailureIsNotTriedAgain(t *testing.T) {
	c := spec.Guard(t, stage, "projector_retry.go", "any other failure is not tried again")
	a := newApp(c, t)
	p, calls := tally("tally", func(bank.Envelope) error { return errRefused })
	projector := a.projector(c, p)
	refuseParking(c, a.db.Write)
	a.appendLog(c, ada, opened(ada, "Ada Lovelace", "EUR"))
	c.Doing("run a projection whose event can neither be applied nor parked (no transient failure: trying again cannot help)")
	runProjector(t, projector)
	err := <-waitFor(c, projector.Projection("tally"), 1)
	s := a.statusOf(c, projector, "tally")
	c.That(err != nil && s.Status == "failed" && strings.Contains(s.Error, "no room for dead letters"), "the projection failed, saying why", fmt.Sprintf("%v; %+v", err, s))
	c.Equal(int64(1), calls.Load(), "calls of Apply (one: it is not tried again)")
}

func TestGuard_AFailureThatIsNotTransientEndsTheRetries(t *testing.T) {
	c := spec.Guard(t, stage, "projector_retry.go", "a failure that is not transient ends the retries")
	a := newApp(c, t)
	busy := busyError(t)
	p, calls := tally("tally", func(bank.Envelope) error { return nil })
	var n int
	p.Apply = func(ctx context.Context, rm bank.ReadModelTx, e bank.Envelope) error {
		calls.Add(1)
		if n++; n == 1 {
			return fmt.Errorf("writing the row: %w", busy)
		}
		return errRefused // and it cannot be parked either
	}
	projector := a.projector(c, p)
	refuseParking(c, a.db.Write)
	a.appendLog(c, ada, opened(ada, "Ada Lovelace", "EUR"))
	c.Doing("run a projection that meets a busy database once, and then an error that is not transient")
	runProjector(t, projector)
	err := <-waitFor(c, projector.Projection("tally"), 1)
	s := a.statusOf(c, projector, "tally")
	c.That(err != nil && s.Status == "failed" && strings.Contains(s.Error, "no room for dead letters"), "the projection failed on the second error", fmt.Sprintf("%v; %+v", err, s))
	c.Equal(int64(2), calls.Load(), "calls of Apply (the retry after the busy one, then no more: trying again cannot help)")
}

func TestGuard_AProjectionWaitingToRetryStopsWithTheServer(t *testing.T) {
	c := spec.Guard(t, stage, "projector_retry.go", "a projection waiting to retry stops with the server")
	a := newApp(c, t)
	p, calls := flaky(t, 1000)
	projector := a.projector(c, p)
	a.appendLog(c, ada, opened(ada, "Ada Lovelace", "EUR"))
	stop := runProjector(t, projector)
	c.Doing("stop the projector while it waits to try a busy batch again")
	for deadline := time.Now().Add(spec.Patience); len(calls()) < 5; time.Sleep(time.Millisecond) { // polling a condition, bounded
		if time.Now().After(deadline) {
			c.Fail("5 attempts", fmt.Sprint(len(calls())))
		}
	}
	took := stop() // the pause before the 6th attempt is 16 × FirstTransientDelay (320 ms) or more
	c.That(took < 8*bank.FirstTransientDelay, "Run returning at once (the pause ends with the context)", took.String())
	s := a.statusOf(c, projector, "tally")
	c.Equal("stopped", s.Status, "the status (stopped by the server, not failed)")
}
