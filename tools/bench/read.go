package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/solutions/02-events"
)

// Reads: the store's Load and ReadAll beside hand-written queries that read and
// decode the same columns and JSON.

func mustJSON(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(data)
}

// fill stores n deposits in one stream, 100 per transaction, by raw inserts.
func fill(b *testing.B, db *sqlitedb.DB, stream string, n int) {
	insert := prepare(b, db, insertSQL)
	for v := 0; v < n; v += 100 {
		if err := insertBatch(db, insert, newV7, stream, int64(v), min(100, n-v)); err != nil {
			fatal(b, err)
		}
	}
}

func openStore(b *testing.B) (*bank.EventStore, *sqlitedb.DB) {
	db := openEmpty(b, "NORMAL")
	store, err := bank.NewEventStore(context.Background(), db, bank.NewRegistry())
	if err != nil {
		fatal(b, err)
	}
	return store, db
}

// storeLoads loads a stream of n events per operation.
func storeLoads(n int) side {
	return func(b *testing.B) func() error {
		store, db := openStore(b)
		fill(b, db, "account-bench", n)
		return func() error {
			events, err := store.Load(context.Background(), "account-bench")
			return expect(n, len(events), err)
		}
	}
}

// storeReadsAll reads one page of the global log per operation, cycling through 10 pages.
func storeReadsAll(page int) side {
	return func(b *testing.B) func() error {
		store, db := openStore(b)
		for s := range 10 {
			fill(b, db, fmt.Sprintf("account-%d", s), page)
		}
		after := int64(0)
		return func() error {
			events, err := store.ReadAll(context.Background(), after, page)
			if err := expect(page, len(events), err); err != nil {
				return err
			}
			after = events[len(events)-1].Position % int64(10*page)
			return nil
		}
	}
}

// expect is err, or an error if got events are not the n wanted.
func expect(n, got int, err error) error {
	if err == nil && got != n {
		err = fmt.Errorf("read %d events, want %d", got, n)
	}
	return err
}

// rawEvent is what a hand-written reader decodes: the same columns and JSON.
type rawEvent struct {
	position, version int64
	id, stream, kind  string
	schema            int
	data              bank.MoneyDeposited
	metadata          bank.Metadata
	recordedAt        time.Time
}

// scanRaw reads and decodes rows the way a hand-written reader would.
func scanRaw(db *sqlitedb.DB, query string, args ...any) ([]rawEvent, error) {
	rows, err := db.Read.Query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []rawEvent
	for rows.Next() {
		var e rawEvent
		var data, metadata, recorded string
		if err := rows.Scan(&e.position, &e.id, &e.stream, &e.version, &e.kind, &e.schema, &data, &metadata, &recorded); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(data), &e.data); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(metadata), &e.metadata); err != nil {
			return nil, err
		}
		if e.recordedAt, err = time.Parse(time.RFC3339Nano, recorded); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

const rawSelect = `SELECT global_position, event_id, stream_id, version, event_type, schema_version, data, metadata, recorded_at FROM events`

// rawLoads reads and decodes a stream of n events per operation, by hand.
func rawLoads(n int) side {
	return func(b *testing.B) func() error {
		db := openEmpty(b, "NORMAL")
		fill(b, db, "account-bench", n)
		return func() error {
			events, err := scanRaw(db, rawSelect+` WHERE stream_id = ? ORDER BY version`, "account-bench")
			return expect(n, len(events), err)
		}
	}
}

// rawReadsAll reads and decodes one page of the global log per operation, by hand.
func rawReadsAll(page int) side {
	return func(b *testing.B) func() error {
		db := openEmpty(b, "NORMAL")
		for s := range 10 {
			fill(b, db, fmt.Sprintf("account-%d", s), page)
		}
		after := int64(0)
		return func() error {
			events, err := scanRaw(db, rawSelect+` WHERE global_position > ? ORDER BY global_position LIMIT ?`, after, page)
			if err := expect(page, len(events), err); err != nil {
				return err
			}
			after = events[len(events)-1].position % int64(10*page)
			return nil
		}
	}
}
