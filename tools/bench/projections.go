package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank6 "github.com/go-es-workshop/kit/solutions/06-idempotent-projections"
	"github.com/google/uuid"
)

// Stage 6's projector: batched against one event per transaction, on the same
// log of catchUpEvents events, and the rate at which a blue-green rebuild of
// rebuildEvents events catches up, beside stage 5's hand-written batched
// read-and-upsert on the same log (raw/read-upsert-batch).
const rebuildEvents = 100_000

// projectionSides are timed per event, on a fresh log each.
var projectionSides = []struct {
	name   string
	events int
	side   func(ctx context.Context, db *sqlitedb.DB, store *bank6.EventStore) (time.Duration, error)
}{
	{"projector6/batched", catchUpEvents, catchUpWithBatches(bank6.DefaultBatchSize)},
	{"projector6/per-event", catchUpEvents, catchUpWithBatches(1)},
	{"projector6/rebuild-100k", rebuildEvents, rebuildCatchesUp},
}

// measureProjections runs each side rounds times and keeps its fastest time per event.
func measureProjections(rounds int, best map[string]float64) error {
	for round := range max(rounds, 1) {
		for i, s := range projectionSides {
			progress("measuring the projector: round %d of %d, %s (%d of %d) ", round+1, max(rounds, 1), s.name, i+1, len(projectionSides))
			took, err := onFreshLog(s.events, s.side)
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			perEvent := float64(took.Nanoseconds()) / float64(s.events)
			if best[s.name] == 0 || perEvent < best[s.name] {
				best[s.name] = perEvent
			}
		}
	}
	progress("")
	return nil
}

// onFreshLog fills a fresh database with events (accounts opened, then four
// deposits each), then times side on it.
func onFreshLog(events int, side func(context.Context, *sqlitedb.DB, *bank6.EventStore) (time.Duration, error)) (time.Duration, error) {
	dir, err := os.MkdirTemp("", "kit-bench-projections-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	db, err := sqlitedb.Open(filepath.Join(dir, "bench.db"))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	ctx := context.Background()
	store, err := bank6.NewEventStore(ctx, db, bank6.NewRegistry())
	if err != nil {
		return 0, err
	}
	meta := bank6.Metadata{CorrelationID: "bench", CausationID: "bench", UserID: "bench"}
	for range events / 5 {
		id := uuid.New()
		log := []bank6.Event{bank6.AccountOpened{AccountID: id.String(), Owner: "Ada", Kind: bank6.Checking, Currency: "EUR"}}
		for d := range 4 {
			log = append(log, bank6.MoneyDeposited{Amount: int64(d + 1)})
		}
		if _, err := store.Append(ctx, bank6.StreamID(id.String()), 0, meta, log...); err != nil {
			return 0, err
		}
	}
	return side(ctx, db, store)
}

// catchUpWithBatches times the accounts-by-owner projection applying the whole
// log from position 0, size events per transaction.
func catchUpWithBatches(size int) func(context.Context, *sqlitedb.DB, *bank6.EventStore) (time.Duration, error) {
	return func(ctx context.Context, db *sqlitedb.DB, store *bank6.EventStore) (time.Duration, error) {
		p := bank6.AccountsByOwner()
		p.BatchSize = size
		projector, err := bank6.NewProjector(ctx, db, store, quietLog, p)
		if err != nil {
			return 0, err
		}
		start := time.Now()
		defer running(ctx, projector)()
		err = waitUntil(ctx, projector, caughtUp)
		return time.Since(start), err
	}
}

// rebuildCatchesUp times a rebuild of accounts-by-owner, from its start to the switch.
func rebuildCatchesUp(ctx context.Context, db *sqlitedb.DB, store *bank6.EventStore) (time.Duration, error) {
	projector, err := bank6.NewProjector(ctx, db, store, quietLog, bank6.AccountsByOwner())
	if err != nil {
		return 0, err
	}
	defer running(ctx, projector)()
	if err := waitUntil(ctx, projector, caughtUp); err != nil {
		return 0, err // the live build first, untimed
	}
	start := time.Now()
	if _, err := projector.Rebuild(ctx, bank6.AccountsByOwnerProjection); err != nil {
		return 0, err
	}
	err = waitUntil(ctx, projector, func(s bank6.ProjectionStatus) bool { return s.Build == "green" && s.Rebuild == nil })
	return time.Since(start), err
}

func caughtUp(s bank6.ProjectionStatus) bool { return s.Checkpoint == s.Head }

// running runs projector until the returned function is called.
func running(ctx context.Context, projector *bank6.Projector) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { projector.Run(ctx); close(stopped) }()
	return func() { cancel(); <-stopped }
}

// waitUntil waits until the status of projector's only projection is done.
func waitUntil(ctx context.Context, projector *bank6.Projector, done func(bank6.ProjectionStatus) bool) error {
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(time.Millisecond) { // polling, bounded
		statuses, err := projector.Statuses(ctx)
		if err != nil {
			return err
		}
		if s := statuses[0]; done(s) {
			return nil
		} else if s.Status != "running" || time.Now().After(deadline) {
			return fmt.Errorf("the projection did not get there: %+v", s)
		}
	}
}
