package events_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/02-events"
	"github.com/google/uuid"
)

func Test2_3_AppendNumbersEventsAfterTheExpectedVersion(t *testing.T) {
	c := spec.For(t, stage)
	store, _ := newStore(t)
	ctx := c.Ctx()
	c.Doing("append AccountOpened to a new stream (expected version 0)")
	first, err := store.Append(ctx, "account-"+adaID, 0, meta, adaOpened)
	c.NoError(err, "the first Append")
	c.Doing("append two deposits at expected version 1")
	more, err := store.Append(ctx, "account-"+adaID, 1, meta, bank.MoneyDeposited{Amount: 1}, bank.MoneyDeposited{Amount: 2})
	c.NoError(err, "the second Append")
	stored := append(first, more...)
	c.Equal(3, len(stored), "number of envelopes returned")
	for i, e := range stored {
		c.Doing("check envelope %d of the appends", i+1)
		c.Equal(int64(i+1), e.Version, "version")
		id, err := uuid.Parse(e.EventID)
		c.That(err == nil && id.Version() == 7, "event_id is a UUIDv7", fmt.Sprintf("event_id %q", e.EventID))
		c.That(e.Position > 0 && (i == 0 || e.Position > stored[i-1].Position), "positions that grow", fmt.Sprintf("positions %d then %d", stored[max(i-1, 0)].Position, e.Position))
	}
	c.Doing("Load the stream back")
	loaded, err := store.Load(ctx, "account-"+adaID)
	c.NoError(err, "Load")
	c.That(len(loaded) == 3 && loaded[2].Event == bank.MoneyDeposited{Amount: 2} && loaded[2].Metadata == meta && loaded[2].Type == "MoneyDeposited",
		"3 events, the last MoneyDeposited{2} with the metadata it was appended with", fmt.Sprintf("%+v", loaded))
}

func Test2_3_AppendRefusesAStaleExpectedVersion(t *testing.T) {
	c := spec.For(t, stage)
	store, _ := newStore(t)
	ctx := c.Ctx()
	c.Doing("append AccountOpened to a new stream (expected version 0)")
	_, err := store.Append(ctx, "account-"+adaID, 0, meta, adaOpened)
	c.NoError(err, "the first Append")
	for _, stale := range []int64{0, 2, 7} {
		c.Doing("append at expected version %d to a stream at version 1", stale)
		_, err = store.Append(ctx, "account-"+adaID, stale, meta, bank.MoneyDeposited{Amount: 100})
		c.That(errors.Is(err, bank.ErrConcurrency), "an error wrapping ErrConcurrency", fmt.Sprintf("%v", err))
	}
	loaded, err := store.Load(ctx, "account-"+adaID)
	c.NoError(err, "Load")
	c.Equal(1, len(loaded), "events in the stream after the refused appends")
}

func Test2_3_AFailedAppendWritesNothing(t *testing.T) {
	c := spec.For(t, stage)
	store, db := newStore(t)
	c.Doing("append [AccountOpened, nil]: the second cannot be encoded")
	_, err := store.Append(c.Ctx(), "account-"+adaID, 0, meta, adaOpened, nil)
	c.That(errors.Is(err, bank.ErrUnknownEventType), "an error wrapping ErrUnknownEventType", fmt.Sprintf("%v", err))
	c.Equal(0, countEvents(c, db), "events stored (all or nothing)")
}

func Test2_3_OfConcurrentAppendsAtOneVersionExactlyOneWins(t *testing.T) {
	c := spec.For(t, stage)
	store, _ := newStore(t)
	c.Doing("10 appends at expected version 0 to one stream, at the same moment")
	var wg sync.WaitGroup
	errs := make([]error, 10)
	start := make(chan struct{})
	for i := range errs {
		wg.Go(func() {
			<-start
			_, errs[i] = store.Append(c.Ctx(), "account-"+adaID, 0, meta, adaOpened)
		})
	}
	close(start)
	wg.Wait()
	wins, conflicts := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, bank.ErrConcurrency):
			conflicts++
		}
	}
	c.That(wins == 1 && conflicts == 9, "1 success and 9 ErrConcurrency", fmt.Sprintf("successes: %d, conflicts: %d; errors: %s", wins, conflicts, distinct(errs)))
	loaded, err := store.Load(c.Ctx(), "account-"+adaID)
	c.NoError(err, "Load")
	c.Equal(1, len(loaded), "events in the stream")
}

// distinct lists the different error messages among errs, each once.
func distinct(errs []error) string {
	seen := map[string]bool{}
	var out []string
	for _, err := range errs {
		if err != nil && !seen[err.Error()] {
			seen[err.Error()] = true
			out = append(out, err.Error())
		}
	}
	return strings.Join(out, "; ")
}
