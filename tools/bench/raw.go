package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/solutions/02-events"
	"github.com/google/uuid"
)

// The raw side: hand-written SQL on the same table (created by the store itself,
// so the schema and indexes are identical) and the same pragmas, without the
// registry, envelopes or version check.

func newV7() string { return uuid.Must(uuid.NewV7()).String() }
func newV4() string { return uuid.NewString() }

// openRaw opens a database whose events table the store created.
func openRaw(b *testing.B, synchronous string) *sqlitedb.DB {
	db := openDB(b, synchronous)
	if _, err := bank.NewEventStore(context.Background(), db, bank.NewRegistry()); err != nil {
		b.Fatal(err)
	}
	return db
}

const rawInsert = `INSERT INTO events (event_id, stream_id, version, event_type, schema_version, data, metadata, recorded_at)
	VALUES (?, ?, ?, 'MoneyDeposited', 1, ?, ?, ?)`

var rawMetadata = mustJSON(meta)

func mustJSON(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(data)
}

// insertBatch inserts size events in one transaction, versions after version.
func insertBatch(db *sqlitedb.DB, newID func() string, stream string, version int64, size int) error {
	tx, err := db.Write.BeginTx(context.Background(), nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for j := range size {
		data := fmt.Sprintf(`{"amount":%d}`, 100+j)
		if _, err := tx.Exec(rawInsert, newID(), stream, version+int64(j)+1, data, rawMetadata, now); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func benchRawInsert(size int, newID func() string, synchronous string) func(*testing.B) {
	return func(b *testing.B) {
		db := openRaw(b, synchronous)
		b.ResetTimer()
		for stream, version := range batches(b.N, size) {
			if err := insertBatch(db, newID, stream, version, size); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func fillRaw(b *testing.B, db *sqlitedb.DB, stream string, n int) {
	for v := 0; v < n; v += 100 {
		if err := insertBatch(db, newV7, stream, int64(v), min(100, n-v)); err != nil {
			b.Fatal(err)
		}
	}
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

func benchRawLoad(n int) func(*testing.B) {
	return func(b *testing.B) {
		db := openRaw(b, "NORMAL")
		fillRaw(b, db, "account-bench", n)
		b.ResetTimer()
		for range b.N {
			events, err := scanRaw(db, rawSelect+` WHERE stream_id = ? ORDER BY version`, "account-bench")
			if err != nil || len(events) != n {
				b.Fatalf("raw load: %d events, %v", len(events), err)
			}
		}
	}
}

func benchRawReadAll(page int) func(*testing.B) {
	return func(b *testing.B) {
		db := openRaw(b, "NORMAL")
		for s := range 10 {
			fillRaw(b, db, fmt.Sprintf("account-%d", s), page)
		}
		b.ResetTimer()
		after := int64(0)
		for range b.N {
			events, err := scanRaw(db, rawSelect+` WHERE global_position > ? ORDER BY global_position LIMIT ?`, after, page)
			if err != nil || len(events) != page {
				b.Fatalf("raw read all after %d: %d events, %v", after, len(events), err)
			}
			after = events[len(events)-1].position % int64(10*page)
		}
	}
}
