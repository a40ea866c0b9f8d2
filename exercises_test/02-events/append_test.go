package events_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

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
		var conflict *bank.ConcurrencyError
		c.That(errors.As(err, &conflict) && conflict.Expected == stale && conflict.Actual == 1,
			fmt.Sprintf("a *ConcurrencyError with Expected %d and Actual 1 (the version the stream is at)", stale), fmt.Sprintf("%#v", err))
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

func Test2_3_AnAppendThatFailsHalfwayWritesNothing(t *testing.T) {
	c := spec.For(t, stage)
	store, db := newStore(t)
	ctx := c.Ctx()
	_, err := store.Append(ctx, "account-"+adaID, 0, meta, adaOpened)
	c.NoError(err, "the first Append")
	c.Doing("append [MoneyDeposited, MoneyWithdrawn] at expected version 1, while the database\n" +
		"refuses any event at version 3 (a trigger the test created: the second INSERT fails)")
	_, err = db.Write.ExecContext(ctx, `CREATE TRIGGER refuse_version_3 BEFORE INSERT ON events
		WHEN NEW.version = 3 BEGIN SELECT RAISE(ABORT, 'injected failure: the test refuses version 3'); END`)
	c.NoError(err, "creating the trigger (test setup)")
	_, err = store.Append(ctx, "account-"+adaID, 1, meta, bank.MoneyDeposited{Amount: 100}, bank.MoneyWithdrawn{Amount: 30})
	c.That(err != nil, "an error: the second event could not be stored", "no error")
	loaded, err := store.Load(ctx, "account-"+adaID)
	c.NoError(err, "Load")
	c.That(len(loaded) == 1,
		"the stream as it was, [v1 AccountOpened]: the deposit written before the failure is undone\n"+
			"with it (one transaction for the whole append, committed once, after the last insert)",
		"the stream holds "+describeStream(loaded))
}

func Test2_3_TheVersionIsReadInsideTheWriteTransaction(t *testing.T) {
	c := spec.For(t, stage)
	store, db := newStore(t)
	ctx := c.Ctx()
	stream := "account-" + adaID
	_, err := store.Append(ctx, stream, 0, meta, adaOpened)
	c.NoError(err, "the first Append")
	// UNIQUE(stream_id, version) would stop an append that checked a stale version;
	// this trigger turns that clash into a plain error, so that only the check in
	// Append can answer ErrConcurrency.
	_, err = db.Write.ExecContext(ctx, `CREATE TRIGGER version_taken BEFORE INSERT ON events
		WHEN EXISTS (SELECT 1 FROM events WHERE stream_id = NEW.stream_id AND version = NEW.version)
		BEGIN SELECT RAISE(ABORT, 'version taken: the test turned the UNIQUE(stream_id, version) clash into this error'); END`)
	c.NoError(err, "creating the trigger (test setup)")

	c.Doing("append a deposit at expected version 1 while another writer holds the write lock;\n" +
		"it appends versions 2 and 3 before it lets go")
	writer := spec.HoldWriter(t, db)
	var appendErr error
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		_, appendErr = store.Append(ctx, stream, 1, meta, bank.MoneyDeposited{Amount: 100})
	}()
	writer.AwaitWaiters(1, func() int { return closed(finished) })
	for version := int64(2); version <= 3; version++ {
		_, err := writer.ExecContext(ctx, `INSERT INTO events (event_id, stream_id, version, event_type,
			schema_version, data, metadata, recorded_at) VALUES (?, ?, ?, 'MoneyDeposited', 1, '{"amount":5}', ?, ?)`,
			uuid.Must(uuid.NewV7()).String(), stream, version, `{"correlation_id":"other","causation_id":"other","user_id":"other"}`,
			time.Now().UTC().Format(time.RFC3339Nano))
		c.NoError(err, "the other writer's insert (test setup)")
	}
	c.NoError(writer.Commit(), "the other writer's commit (test setup)")
	<-finished

	var conflict *bank.ConcurrencyError
	got := fmt.Sprintf("%v", appendErr)
	if appendErr != nil && strings.Contains(appendErr.Error(), "version taken") {
		got += "\n(the version check let the stale version 1 through: it read the stream before the write\n" +
			"transaction began, or outside it, e.g. on s.db.Read; read it inside, through tx)"
	}
	c.That(errors.As(appendErr, &conflict) && conflict.Expected == 1 && conflict.Actual == 3,
		"a *ConcurrencyError with Expected 1 and Actual 3, from the version check inside the write transaction", got)
	loaded, err := store.Load(ctx, stream)
	c.NoError(err, "Load")
	c.That(len(loaded) == 3, "the stream holds v1 AccountOpened and the other writer's v2 and v3", "the stream holds "+describeStream(loaded))
}

// closed is 1 once ch is closed, else 0.
func closed(ch <-chan struct{}) int {
	select {
	case <-ch:
		return 1
	default:
		return 0
	}
}

// describeStream lists a stream's events, e.g. "2 events: [v1 AccountOpened, v2 MoneyDeposited]".
func describeStream(events []bank.Envelope) string {
	parts := make([]string, len(events))
	for i, e := range events {
		parts[i] = fmt.Sprintf("v%d %s", e.Version, e.Type)
	}
	return fmt.Sprintf("%d events: [%s]", len(events), strings.Join(parts, ", "))
}
