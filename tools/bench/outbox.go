package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank5 "github.com/go-es-workshop/kit/solutions/05-outbox"
	"github.com/google/uuid"
)

// Stage 5's background work beside SQLite reading the same rows: the relay
// delivering the outbox, and a projector catching up with the log. Each side runs
// on a fresh database filled before the clock starts (catchUpEvents events of
// catchUpAccounts accounts, every one announced in the outbox), and is timed
// until it has handled them all.
const (
	catchUpAccounts = 400
	catchUpEvents   = 5 * catchUpAccounts // opened, then four deposits each
)

// backlog is a database with the log and the outbox filled.
type backlog struct {
	dir   string
	db    *sqlitedb.DB
	store *bank5.EventStore
}

func newBacklog() (*backlog, error) {
	dir, err := os.MkdirTemp("", "kit-bench-outbox-")
	if err != nil {
		return nil, err
	}
	db, err := sqlitedb.Open(filepath.Join(dir, "bench.db"))
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	store, err := bank5.NewEventStore(ctx, db, bank5.NewRegistry())
	if err != nil {
		return nil, err
	}
	meta := bank5.Metadata{CorrelationID: "bench", CausationID: "bench", UserID: "bench"}
	for range catchUpAccounts {
		id := uuid.New()
		view := bank5.AccountView{ID: id, Currency: "EUR"}
		events := []bank5.Event{bank5.AccountOpened{AccountID: id.String(), Owner: "Ada", Kind: bank5.Checking, Currency: "EUR"}}
		for d := range 4 {
			events = append(events, bank5.MoneyDeposited{Amount: int64(d + 1)})
		}
		if _, err := store.AppendOnce(ctx, nil, bank5.IntegrationEvents(view), bank5.StreamID(id.String()), 0, meta, events...); err != nil {
			return nil, err
		}
	}
	return &backlog{dir: dir, db: db, store: store}, nil
}

func (b *backlog) close() { _ = b.db.Close(); _ = os.RemoveAll(b.dir) }

// outboxSide does its work on a fresh backlog and returns how long it took.
type outboxSide func(b *backlog) (time.Duration, error)

var outboxSides = []struct {
	name string
	side outboxSide
}{
	{"relay/deliver", relayDelivers},
	{"raw/outbox-read", rawOutboxRead},
	{"hand/outbox-mark", handOutboxMarks},
	{"projector/catch-up", projectorCatchesUp},
	{"hand/read-upsert", handReadUpsert},
	{"raw/read-upsert-batch", rawReadUpsertBatch},
}

// measureOutbox runs each side rounds times and keeps its fastest time per event.
func measureOutbox(rounds int, best map[string]float64) error {
	for round := range max(rounds, 1) {
		for i, s := range outboxSides {
			progress("measuring the outbox: round %d of %d, %s (%d of %d) ", round+1, max(rounds, 1), s.name, i+1, len(outboxSides))
			b, err := newBacklog()
			if err != nil {
				return err
			}
			took, err := s.side(b)
			b.close()
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			perEvent := float64(took.Nanoseconds()) / catchUpEvents
			if best[s.name] == 0 || perEvent < best[s.name] {
				best[s.name] = perEvent
			}
		}
	}
	progress("")
	return nil
}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// relayDelivers runs the relay until a publisher that only counts has
// acknowledged every message.
func relayDelivers(b *backlog) (time.Duration, error) {
	var acked atomic.Int64
	done := make(chan struct{})
	pub := bank5.PublisherFunc(func(context.Context, bank5.IntegrationMessage) error {
		if acked.Add(1) == catchUpEvents {
			close(done)
		}
		return nil
	})
	relay, err := bank5.NewRelay(b.store, pub, bank5.DefaultRelayConfig(), quietLog)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	start := time.Now()
	go func() { relay.Run(ctx); close(stopped) }()
	defer func() { cancel(); <-stopped }()
	select {
	case <-done:
		return time.Since(start), nil
	case <-time.After(time.Minute):
		return 0, fmt.Errorf("the relay delivered %d of %d messages in a minute", acked.Load(), catchUpEvents)
	}
}

// rawOutboxRead reads every undelivered row and decodes its payload: what the
// relay must do at the least.
func rawOutboxRead(b *backlog) (time.Duration, error) {
	start := time.Now()
	rows, err := b.db.Read.Query(`SELECT id, payload FROM outbox WHERE status <> 'published' ORDER BY id`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id int64
		var payload string
		var m bank5.IntegrationMessage
		if err := rows.Scan(&id, &payload); err != nil {
			return 0, err
		}
		if err := json.Unmarshal([]byte(payload), &m); err != nil {
			return 0, err
		}
		n++
	}
	return time.Since(start), expect(catchUpEvents, n, rows.Err())
}

// handOutboxMarks reads the rows as rawOutboxRead does and marks each published
// in a write of its own: the relay's work by hand, without a publisher.
func handOutboxMarks(b *backlog) (time.Duration, error) {
	start := time.Now()
	mark, err := b.db.Write.Prepare(`UPDATE outbox SET status = 'published', published_at = ? WHERE id = ? AND status = 'pending'`)
	if err != nil {
		return 0, err
	}
	defer mark.Close()
	n := 0
	for after := int64(0); ; {
		ids, err := outboxPage(b.db.Read, after)
		if err != nil || len(ids) == 0 {
			return time.Since(start), expect(catchUpEvents, n, err)
		}
		for _, id := range ids {
			if _, err := mark.Exec(time.Now().UTC().Format(time.RFC3339Nano), id); err != nil {
				return 0, err
			}
			after = id
			n++
		}
	}
}

func outboxPage(db *sql.DB, after int64) ([]int64, error) {
	rows, err := db.Query(`SELECT id, payload FROM outbox WHERE status <> 'published' AND id > ? ORDER BY id LIMIT 100`, after)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		var payload string
		var m bank5.IntegrationMessage
		if err := rows.Scan(&id, &payload); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(payload), &m); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// projectorCatchesUp runs stage 4's accounts-by-owner projection from
// checkpoint 0 until it has applied the whole log.
func projectorCatchesUp(b *backlog) (time.Duration, error) {
	ctx, cancel := context.WithCancel(context.Background())
	projector, err := bank5.NewProjector(ctx, b.db, b.store, quietLog, bank5.AccountsByOwner())
	if err != nil {
		cancel()
		return 0, err
	}
	stopped := make(chan struct{})
	start := time.Now()
	go func() { projector.Run(ctx); close(stopped) }()
	defer func() { cancel(); <-stopped }()
	run := projector.Projection(bank5.AccountsByOwnerProjection)
	for deadline := time.Now().Add(time.Minute); ; {
		err := run.WaitFor(ctx, catchUpEvents) // bounded by MaxReadWait: ask again until the deadline
		if err == nil {
			return time.Since(start), nil
		}
		if time.Now().After(deadline) {
			return 0, err
		}
	}
}

// handReadUpsert is the projector's work by hand: read the log in pages of 100,
// decode each event, and write its row and the checkpoint in a transaction per
// event, as the projector does.
func handReadUpsert(b *backlog) (time.Duration, error) {
	return readUpsert(b, false)
}

// rawReadUpsertBatch is the same with one transaction per page: what batching
// would buy (stage 6).
func rawReadUpsertBatch(b *backlog) (time.Duration, error) {
	return readUpsert(b, true)
}

func readUpsert(b *backlog, batched bool) (time.Duration, error) {
	setup := []string{`CREATE TABLE owners (account_id TEXT PRIMARY KEY, owner TEXT NOT NULL, kind TEXT NOT NULL,
		currency TEXT NOT NULL, balance INTEGER NOT NULL, status TEXT NOT NULL)`,
		`CREATE INDEX owners_owner ON owners (owner, account_id)`,
		`CREATE TABLE cp (name TEXT PRIMARY KEY, position INTEGER NOT NULL)`, `INSERT INTO cp VALUES ('owners', 0)`}
	for _, s := range setup {
		if _, err := b.db.Write.Exec(s); err != nil {
			return 0, err
		}
	}
	ctx := context.Background()
	start := time.Now()
	n := 0
	for after := int64(0); ; {
		rows, err := b.db.Read.QueryContext(ctx, `SELECT global_position, stream_id, event_type, data FROM events
			WHERE global_position > ? ORDER BY global_position LIMIT 100`, after)
		if err != nil {
			return 0, err
		}
		type ev struct {
			pos              int64
			stream, typ, raw string
		}
		var page []ev
		for rows.Next() {
			var e ev
			if err := rows.Scan(&e.pos, &e.stream, &e.typ, &e.raw); err != nil {
				rows.Close()
				return 0, err
			}
			page = append(page, e)
		}
		rows.Close()
		if len(page) == 0 {
			return time.Since(start), expect(catchUpEvents, n, nil)
		}
		var tx *sql.Tx
		for _, e := range page {
			if tx == nil {
				if tx, err = b.db.Write.BeginTx(ctx, nil); err != nil {
					return 0, err
				}
			}
			var data struct {
				Owner, Kind, Currency string
				Amount                int64
			}
			if err := json.Unmarshal([]byte(e.raw), &data); err != nil {
				return 0, err
			}
			account := e.stream[len("account-"):]
			switch e.typ {
			case "AccountOpened":
				_, err = tx.Exec(`INSERT INTO owners VALUES (?, ?, ?, ?, 0, 'open')`, account, data.Owner, data.Kind, data.Currency)
			case "MoneyDeposited":
				_, err = tx.Exec(`UPDATE owners SET balance = balance + ? WHERE account_id = ?`, data.Amount, account)
			}
			if err == nil {
				_, err = tx.Exec(`UPDATE cp SET position = ? WHERE name = 'owners'`, e.pos)
			}
			if err != nil {
				_ = tx.Rollback()
				return 0, err
			}
			if !batched {
				if err := tx.Commit(); err != nil {
					return 0, err
				}
				tx = nil
			}
			after = e.pos
			n++
		}
		if tx != nil {
			if err := tx.Commit(); err != nil {
				return 0, err
			}
		}
	}
}
