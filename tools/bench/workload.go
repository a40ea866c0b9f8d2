package main

import (
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/solutions/02-events"
	"github.com/google/uuid"
)

// A workload says where the appends of a benchmark go: which stream, at which
// expected version. Every side of a comparison replays the same workload on the
// same starting database, so the only difference between two sides is the code
// that appends.
type workload struct {
	name string
	// open returns a fresh database with the workload's history, removed when b ends.
	open func(b *testing.B, synchronous string) *sqlitedb.DB
	// appends returns the workload's appends of size events, one per call: the
	// stream and its expected version.
	appends func(size int) func() (stream string, version int64)
}

// streamLength is where the sequential workload starts the next stream.
const streamLength = 1000

// sequential fills one stream after another on an empty table, each to 1,000
// events: the best case for the indexes, and the shape of a bulk migration.
var sequential = workload{
	name: "sequential streams",
	open: openEmpty,
	appends: func(size int) func() (string, int64) {
		var stream string
		var version int64
		return func() (string, int64) {
			if stream == "" || version >= streamLength {
				stream, version = newStreamID(), 0
			}
			version += int64(size)
			return stream, version - int64(size)
		}
	},
}

// The scattered workload's history: accounts that already exist.
const (
	historyStreams = 5000
	historyLength  = 10
)

// scattered appends to 5,000 existing accounts (v4 ids, 10 events each) in random
// order, as a bank's commands arrive: every append lands somewhere else in the
// (stream_id, version) index.
var scattered = workload{
	name: "5,000 streams in random order", // historyStreams
	open: openWithHistory,
	appends: func(size int) func() (string, int64) {
		streams := history().streams
		versions := make([]int64, len(streams))
		for i := range versions {
			versions[i] = historyLength
		}
		random := rand.New(rand.NewPCG(1, 2)) // the same order for every side
		return func() (string, int64) {
			i := random.IntN(len(streams))
			versions[i] += int64(size)
			return streams[i], versions[i] - int64(size)
		}
	},
}

// newStreamID names an account's stream the way the bank does: a v4 account id.
func newStreamID() string { return bank.StreamID(uuid.NewString()) }

// openDB opens a new database file, removed when the benchmark ends.
func openDB(b *testing.B, synchronous string) *sqlitedb.DB {
	dir := tempDir(b)
	db, err := sqlitedb.OpenWith(filepath.Join(dir, "bench.db"), sqlitedb.Options{Synchronous: synchronous})
	if err != nil {
		fatal(b, err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

func tempDir(b *testing.B) string {
	dir, err := os.MkdirTemp("", "kit-bench-")
	if err != nil {
		fatal(b, err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// openEmpty opens a new database with the events table, created by the store
// itself so that the schema and indexes are the store's.
func openEmpty(b *testing.B, synchronous string) *sqlitedb.DB {
	db := openDB(b, synchronous)
	if _, err := bank.NewEventStore(context.Background(), db, bank.NewRegistry()); err != nil {
		fatal(b, err)
	}
	return db
}

// openWithHistory opens a copy of the history database (built once per process).
func openWithHistory(b *testing.B, synchronous string) *sqlitedb.DB {
	h := history()
	if h.err != nil {
		fatal(b, h.err)
	}
	path := filepath.Join(tempDir(b), "bench.db")
	if err := copyFile(h.path, path); err != nil {
		fatal(b, err)
	}
	db, err := sqlitedb.OpenWith(path, sqlitedb.Options{Synchronous: synchronous})
	if err != nil {
		fatal(b, err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

type historyDB struct {
	path    string
	streams []string
	err     error
}

// history builds the scattered workload's starting database once: 5,000 streams
// of 10 events, written by raw inserts in one transaction, then closed (which
// checkpoints the WAL into the file, so that one file is the whole database).
var history = sync.OnceValue(func() historyDB {
	h := historyDB{streams: make([]string, historyStreams)}
	dir, err := os.MkdirTemp("", "kit-bench-history-")
	if err != nil {
		return historyDB{err: err}
	}
	historyDir = dir
	h.path = filepath.Join(dir, "history.db")
	db, err := sqlitedb.Open(h.path)
	if err != nil {
		return historyDB{err: err}
	}
	if _, err := bank.NewEventStore(context.Background(), db, bank.NewRegistry()); err != nil {
		db.Close()
		return historyDB{err: err}
	}
	for i := range h.streams {
		h.streams[i] = newStreamID()
	}
	h.err = writeHistory(db, h.streams)
	if err := db.Close(); h.err == nil {
		h.err = err
	}
	return h
})

// historyDir is removed by removeHistory when the process is done with it.
var historyDir string

func removeHistory() {
	if historyDir != "" {
		os.RemoveAll(historyDir)
	}
}

func writeHistory(db *sqlitedb.DB, streams []string) error {
	ctx := context.Background()
	insert, err := db.Write.PrepareContext(ctx, insertSQL)
	if err != nil {
		return err
	}
	defer insert.Close()
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, stream := range streams {
		if err := insertEvents(ctx, tx, insert, newV7, stream, 0, historyLength); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
