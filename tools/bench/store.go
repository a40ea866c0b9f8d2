package main

import (
	"context"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/solutions/02-events"
)

// The store side: the real EventStore, with its registry, envelopes and checks.

var meta = bank.Metadata{CorrelationID: "bench-correlation", CausationID: "bench-command", UserID: "bench"}

// openDB opens a fresh database file that is removed when the benchmark ends.
func openDB(b *testing.B, synchronous string) *sqlitedb.DB {
	dir, err := os.MkdirTemp("", "kit-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	db, err := sqlitedb.OpenWith(filepath.Join(dir, "bench.db"), sqlitedb.Options{Synchronous: synchronous})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

func openStore(b *testing.B) (*bank.EventStore, *sqlitedb.DB) {
	db := openDB(b, "NORMAL")
	store, err := bank.NewEventStore(context.Background(), db, bank.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	return store, db
}

// deposits returns n deposit events.
func deposits(n int) []bank.Event {
	events := make([]bank.Event, n)
	for i := range events {
		events[i] = bank.MoneyDeposited{Amount: int64(100 + i)}
	}
	return events
}

// benchAppend appends batches of size events (see batches).
func benchAppend(size int) func(*testing.B) {
	return func(b *testing.B) {
		store, _ := openStore(b)
		ctx := context.Background()
		batch := deposits(size)
		b.ResetTimer()
		for stream, version := range batches(b.N, size) {
			if _, err := store.Append(ctx, stream, version, meta, batch...); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// batches yields n (stream, expected version) pairs for appends of size events,
// starting a new stream every 1,000 events: streams stay realistic in length
// while the table grows.
func batches(n, size int) iter.Seq2[string, int64] {
	return func(yield func(string, int64) bool) {
		var stream string
		var version int64
		for i := range n {
			if version == 0 || version >= 1000 {
				stream, version = fmt.Sprintf("account-%d", i), 0
			}
			if !yield(stream, version) {
				return
			}
			version += int64(size)
		}
	}
}

// fillStore appends n deposits to one stream, in batches of 100.
func fillStore(b *testing.B, store *bank.EventStore, stream string, n int) {
	ctx := context.Background()
	for v := 0; v < n; v += 100 {
		if _, err := store.Append(ctx, stream, int64(v), meta, deposits(min(100, n-v))...); err != nil {
			b.Fatal(err)
		}
	}
}

func benchLoad(n int) func(*testing.B) {
	return func(b *testing.B) {
		store, _ := openStore(b)
		fillStore(b, store, "account-bench", n)
		b.ResetTimer()
		for range b.N {
			events, err := store.Load(context.Background(), "account-bench")
			if err != nil || len(events) != n {
				b.Fatalf("load: %d events, %v", len(events), err)
			}
		}
	}
}

// benchReadAll reads the global log one page per op, cycling through 10 pages.
func benchReadAll(page int) func(*testing.B) {
	return func(b *testing.B) {
		store, _ := openStore(b)
		for s := range 10 {
			fillStore(b, store, fmt.Sprintf("account-%d", s), page)
		}
		b.ResetTimer()
		after := int64(0)
		for range b.N {
			events, err := store.ReadAll(context.Background(), after, page)
			if err != nil || len(events) != page {
				b.Fatalf("read all after %d: %d events, %v", after, len(events), err)
			}
			after = events[len(events)-1].Position % int64(10*page)
		}
	}
}
