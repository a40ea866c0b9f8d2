package spec

import (
	"strings"
	"sync/atomic"
	"time"

	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

// StoreContract is what every stage's event store promises (stage 2 builds it;
// every later stage keeps it). A stage describes its own store with these
// functions, and CheckStoreContract holds it to the promises. E is the stage's
// event type; the contract only needs to count, compare and version envelopes.
type StoreContract[E comparable] struct {
	// New opens the stage's event store on db.
	New func(ctx context.Context, db *sqlitedb.DB) (Store[E], error)
	// Opened, Deposited: events to append; Unregistered is an event the
	// registry does not know (nil works).
	Opened       E
	Deposited    func(amount int64) E
	Unregistered E
	// ErrConcurrency and ErrUnknownEventType are the stage's sentinels.
	ErrConcurrency, ErrUnknownEventType error
}

// Store is an event store seen through the contract.
type Store[E comparable] struct {
	Append  func(ctx context.Context, stream string, expected int64, events ...E) ([]Stored[E], error)
	Load    func(ctx context.Context, stream string) ([]Stored[E], error)
	ReadAll func(ctx context.Context, after int64, limit int) ([]Stored[E], error)
}

// Stored is the part of an envelope the contract checks.
type Stored[E comparable] struct {
	Stream            string
	Version, Position int64
	Event             E
}

// CheckStoreContract runs each promise as a subtest of t, each on a fresh database.
// A broken promise names the file that keeps it: the store's files are the same
// in every stage.
func CheckStoreContract[E comparable](t *testing.T, stageSlug string, sc StoreContract[E]) {
	t.Helper()
	for _, promise := range storePromises[E]() {
		t.Run(promise.name, func(t *testing.T) {
			c := For(t, stageSlug)
			c.rule, c.keeper = "the event store: "+promise.name, promise.keeper
			db := OpenDB(t)
			store, err := sc.New(c.Ctx(), db)
			c.NoError(err, "creating the event store")
			promise.check(c, &storeUnderTest[E]{Store: store, sc: sc, db: db})
		})
	}
}

type storeUnderTest[E comparable] struct {
	Store[E]
	sc StoreContract[E]
	db *sqlitedb.DB
}

const contractStream = "account-0190c6a8-7d3e-7a1b-9c2d-3e4f5a6b7c8d"

// load reads the contract's stream and requires it to succeed.
func (s *storeUnderTest[E]) load(c *Check) []Stored[E] {
	c.t.Helper()
	events, err := s.Load(c.Ctx(), contractStream)
	c.NoError(err, "Load")
	return events
}

// append requires an append to succeed.
func (s *storeUnderTest[E]) append(c *Check, expected int64, events ...E) []Stored[E] {
	c.t.Helper()
	stored, err := s.Append(c.Ctx(), contractStream, expected, events...)
	c.NoError(err, fmt.Sprintf("Append at expected version %d", expected))
	return stored
}

type storePromise[E comparable] struct {
	name, keeper string
	check        func(c *Check, s *storeUnderTest[E])
}

const (
	appendFile = "eventstore_append.go (Append)"
	loadFile   = "eventstore.go (Load) and eventstore_append.go (Append)"
)

func storePromises[E comparable]() []storePromise[E] {
	return []storePromise[E]{
		{"appends number events after the expected version, and Load returns them in order", loadFile, func(c *Check, s *storeUnderTest[E]) {
			c.Doing("append AccountOpened at 0, then 3 deposits at 1")
			s.append(c, 0, s.sc.Opened)
			s.append(c, 1, s.sc.Deposited(1), s.sc.Deposited(2), s.sc.Deposited(3))
			events := s.load(c)
			c.Equal(4, len(events), "events loaded")
			for i, e := range events {
				c.That(e.Version == int64(i+1) && e.Stream == contractStream && (i == 0 || e.Position > events[i-1].Position),
					fmt.Sprintf("event %d at version %d, positions growing", i+1, i+1), fmt.Sprintf("%+v", events))
			}
			c.That(events[0].Event == s.sc.Opened && events[3].Event == s.sc.Deposited(3),
				"the events in the order they were appended", fmt.Sprintf("%+v", events))
		}},
		{"Load returns versions in order, whatever the clock said when they were recorded", loadFile, func(c *Check, s *storeUnderTest[E]) {
			s.append(c, 0, s.sc.Opened)
			c.Doing("store version 2 with a recorded_at an hour before version 1's (the clock stepped back)")
			insertEventAt(c, s.db.Write, contractStream, 2, "MoneyDeposited", `{"amount":5}`, time.Now().Add(-time.Hour))
			events := s.load(c)
			c.That(len(events) == 2 && events[0].Version == 1 && events[1].Version == 2, "versions 1, 2", fmt.Sprintf("%+v", events))
		}},
		{"refuses an expected version that is behind or ahead, and writes nothing", appendFile, func(c *Check, s *storeUnderTest[E]) {
			s.append(c, 0, s.sc.Opened)
			for _, stale := range []int64{0, 2, 7} {
				c.Doing("append at expected version %d to a stream at version 1", stale)
				_, err := s.Append(c.Ctx(), contractStream, stale, s.sc.Deposited(1))
				c.ErrorIs(err, s.sc.ErrConcurrency, "an error wrapping ErrConcurrency")
			}
			c.Equal(1, len(s.load(c)), "events in the stream after the refused appends")
		}},
		{"of concurrent appends at one version, exactly one wins", appendFile, func(c *Check, s *storeUnderTest[E]) {
			c.Doing("10 appends at expected version 0, at the same moment")
			var wg sync.WaitGroup
			errs := make([]error, 10)
			start := make(chan struct{})
			for i := range errs {
				wg.Go(func() {
					<-start
					_, errs[i] = s.Append(c.Ctx(), contractStream, 0, s.sc.Opened)
				})
			}
			close(start)
			wg.Wait()
			wins, conflicts := 0, 0
			for _, err := range errs {
				switch {
				case err == nil:
					wins++
				case errors.Is(err, s.sc.ErrConcurrency):
					conflicts++
				}
			}
			c.That(wins == 1 && conflicts == 9, "1 success and 9 ErrConcurrency", fmt.Sprintf("%d successes, %d conflicts: %v", wins, conflicts, errs))
		}},
		{"checks the version inside the write transaction: one winner even without the unique index", appendFile, func(c *Check, s *storeUnderTest[E]) {
			// A fresh database whose events table lacks UNIQUE(stream_id, version):
			// only the check inside the transaction can stop a second writer.
			db := OpenDB(c.t)
			execSetup(c, db, `CREATE TABLE events (global_position INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE,
				stream_id TEXT NOT NULL, version INTEGER NOT NULL, event_type TEXT NOT NULL, schema_version INTEGER NOT NULL,
				data TEXT NOT NULL, metadata TEXT NOT NULL, recorded_at TEXT NOT NULL)`)
			store, err := s.sc.New(c.Ctx(), db)
			c.NoError(err, "creating the event store on a table without the unique index")
			c.Doing("20 appends at expected version 0 that all wait for the writer together")
			held := HoldWriter(c.t, db)
			var wg sync.WaitGroup
			var finished atomic.Int32
			errs := make([]error, 20)
			for i := range errs {
				wg.Go(func() {
					_, errs[i] = store.Append(c.Ctx(), contractStream, 0, s.sc.Opened)
					finished.Add(1)
				})
			}
			held.AwaitWaiters(len(errs), func() int { return int(finished.Load()) })
			_ = held.Rollback()
			wg.Wait()
			wins := 0
			for _, err := range errs {
				if err == nil {
					wins++
				} else if !errors.Is(err, s.sc.ErrConcurrency) {
					c.NoError(err, "Append (a conflict or a success)")
				}
			}
			c.Equal(1, wins, "appends that succeeded (the version must be read inside the write transaction)")
		}},
		{"a clash the version check could not see is a conflict at the stream's real version; any other clash is the database's error", appendFile, func(c *Check, s *storeUnderTest[E]) {
			s.append(c, 0, s.sc.Opened)
			execSetup(c, s.db, `CREATE TRIGGER rival AFTER INSERT ON events WHEN NEW.version = 2 AND NEW.stream_id = '`+contractStream+`' BEGIN
				INSERT INTO events (event_id, stream_id, version, event_type, schema_version, data, metadata, recorded_at)
				VALUES (NEW.event_id || '-rival', NEW.stream_id, 3, NEW.event_type, NEW.schema_version, NEW.data, NEW.metadata, NEW.recorded_at);
			END`)
			c.Doing("append 2 deposits at version 1 when a rival takes version 3 in between (a trigger)")
			_, err := s.Append(c.Ctx(), contractStream, 1, s.sc.Deposited(1), s.sc.Deposited(2))
			c.ErrorIs(err, s.sc.ErrConcurrency, "an error wrapping ErrConcurrency")
			c.That(strings.Contains(err.Error(), "version 3") && strings.Contains(err.Error(), "expected 1"),
				"a conflict naming the stream's real version 3 and the expected version 1", err.Error())
			c.Equal(1, len(s.load(c)), "events in the stream (the append, and the rival inside it, rolled back)")
			execSetup(c, s.db, `DROP TRIGGER rival`)
			execSetup(c, s.db, `CREATE TRIGGER same_id BEFORE INSERT ON events WHEN NEW.stream_id = '`+contractStream+`' BEGIN
				INSERT INTO events (event_id, stream_id, version, event_type, schema_version, data, metadata, recorded_at)
				VALUES (NEW.event_id, 'account-elsewhere', 1, NEW.event_type, NEW.schema_version, NEW.data, NEW.metadata, NEW.recorded_at);
			END`)
			c.Doing("append a deposit whose event_id another row takes first (a trigger)")
			_, err = s.Append(c.Ctx(), contractStream, 1, s.sc.Deposited(1))
			c.That(err != nil && !errors.Is(err, s.sc.ErrConcurrency), "an error that is not ErrConcurrency: the stream did not move", fmt.Sprintf("%v", err))
		}},
		{"refuses an event its registry does not know, and an empty append, writing nothing", "eventstore_append.go (seal) and registry.go (Encode)", func(c *Check, s *storeUnderTest[E]) {
			c.Doing("append [AccountOpened, an unregistered event]")
			_, err := s.Append(c.Ctx(), contractStream, 0, s.sc.Opened, s.sc.Unregistered)
			c.ErrorIs(err, s.sc.ErrUnknownEventType, "an error wrapping ErrUnknownEventType")
			c.Doing("append no events at all")
			_, err = s.Append(c.Ctx(), contractStream, 0)
			c.That(err != nil, "an error: an append of nothing is a bug in the caller", "no error")
			c.Equal(0, len(s.load(c)), "events stored")
		}},
		{"an append is one transaction: all its events or none", appendFile, func(c *Check, s *storeUnderTest[E]) {
			s.append(c, 0, s.sc.Opened)
			execSetup(c, s.db, `CREATE TRIGGER fail_third BEFORE INSERT ON events WHEN NEW.version = 3
				BEGIN SELECT RAISE(ABORT, 'injected failure'); END`)
			c.Doing("append 3 deposits at version 1 when the insert of version 3 fails")
			_, err := s.Append(c.Ctx(), contractStream, 1, s.sc.Deposited(1), s.sc.Deposited(2), s.sc.Deposited(3))
			c.That(err != nil, "an error", "no error")
			c.Equal(1, len(s.load(c)), "events in the stream (the failed append left none of its events)")
		}},
		{"a commit that fails is an error, and keeps nothing", appendFile, func(c *Check, s *storeUnderTest[E]) {
			// A deferred foreign key is checked at COMMIT: every append's commit fails.
			execSetup(c, s.db, `PRAGMA foreign_keys = ON`)
			execSetup(c, s.db, `CREATE TABLE parent (id TEXT PRIMARY KEY)`)
			execSetup(c, s.db, `CREATE TABLE child (parent TEXT REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)`)
			execSetup(c, s.db, `CREATE TRIGGER orphan AFTER INSERT ON events BEGIN INSERT INTO child VALUES ('nobody'); END`)
			c.Doing("append AccountOpened when its commit fails")
			_, err := s.Append(c.Ctx(), contractStream, 0, s.sc.Opened)
			c.That(err != nil, "an error from Commit", "no error")
			execSetup(c, s.db, `DROP TRIGGER orphan`)
			c.Equal(0, len(s.load(c)), "events stored")
			c.Doing("append again once commits work")
			s.append(c, 0, s.sc.Opened)
		}},
		{"an append that cannot start or cannot read the stream fails, and is no conflict", appendFile, func(c *Check, s *storeUnderTest[E]) {
			s.append(c, 0, s.sc.Opened)
			c.Doing("append with a context that is already cancelled")
			cancelled, cancel := context.WithCancel(c.Ctx())
			cancel()
			_, err := s.Append(cancelled, contractStream, 1, s.sc.Deposited(1))
			c.That(errors.Is(err, context.Canceled), "an error wrapping context.Canceled", fmt.Sprintf("%v", err))
			c.Equal(1, len(s.load(c)), "events in the stream")
			c.Doing("append at version 1 when the events table is gone")
			execSetup(c, s.db, `ALTER TABLE events RENAME TO gone`)
			_, err = s.Append(c.Ctx(), contractStream, 1, s.sc.Deposited(1))
			c.That(err != nil && !errors.Is(err, s.sc.ErrConcurrency), "an error that is not ErrConcurrency (an outage is no reason to retry)", fmt.Sprintf("%v", err))
		}},
		{"ReadAll pages through every stream in position order", "eventstore.go (ReadAll)", func(c *Check, s *storeUnderTest[E]) {
			s.append(c, 0, s.sc.Opened)
			_, err := s.Append(c.Ctx(), "account-other", 0, s.sc.Opened)
			c.NoError(err, "Append to a second stream")
			s.append(c, 1, s.sc.Deposited(5))
			all, err := s.ReadAll(c.Ctx(), 0, 10)
			c.NoError(err, "ReadAll(0, 10)")
			c.That(len(all) == 3 && all[0].Stream == contractStream && all[1].Stream == "account-other" && all[2].Version == 2,
				"3 events of both streams in the order appended", fmt.Sprintf("%+v", all))
			page, err := s.ReadAll(c.Ctx(), all[0].Position, 1)
			c.NoError(err, "ReadAll(after the first, 1)")
			c.That(len(page) == 1 && page[0].Position == all[1].Position, "the second event only", fmt.Sprintf("%+v", page))
		}},
	}
}

func execSetup(c *Check, db *sqlitedb.DB, statement string) {
	c.t.Helper()
	_, err := db.Write.Exec(statement)
	c.NoError(err, "test setup: "+statement)
}
