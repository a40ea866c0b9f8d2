// Package sqlitedb opens the embedded SQLite database that every stage keeps its data in.
//
// It is plumbing, not a lesson: the stages call Open and then write SQL of their own.
// Two facts about SQLite shape it:
//
//   - SQLite allows one writer at a time. Write is a pool of exactly one connection, so
//     writers wait inside Go (cheap, and bounded by each request's context; not first come,
//     first served) instead of spinning in SQLite's busy handler. Its transactions start with BEGIN IMMEDIATE: a transaction that
//     reads and then writes takes the write lock before it reads, so what it read cannot go
//     stale before it writes.
//   - In WAL mode readers never block the writer and the writer never blocks readers, so
//     Read is a pool of several read-only connections.
//
// The driver is mattn/go-sqlite3 when cgo is available and modernc.org/sqlite (pure Go)
// when it is not; see driver_cgo.go and driver_purego.go.
package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// DB holds the two connection pools of one SQLite database file.
type DB struct {
	Write *sql.DB // exactly one connection; transactions begin IMMEDIATE
	Read  *sql.DB // several read-only connections

	background sync.WaitGroup // work started with Go, which Close waits for
}

// CloseWait bounds how long Close waits for background work to stop.
const CloseWait = 10 * time.Second

// Options tune how durable a commit is. The zero value is the kit's default.
type Options struct {
	// Synchronous is SQLite's synchronous pragma: "NORMAL" (default) or "FULL".
	// In WAL mode NORMAL cannot corrupt the database; a power cut may lose the last
	// commits. FULL syncs the log on every commit, which costs throughput.
	Synchronous string
}

// BusyTimeoutMillis bounds how long a connection waits for a lock held by another
// process (a second server on the same file, or the sqlite3 shell).
const BusyTimeoutMillis = 5000

// Open opens (and creates, with its folder, if missing) the database file at path.
func Open(path string) (*DB, error) {
	return OpenWith(path, Options{})
}

// OpenWith is Open with explicit Options.
func OpenWith(path string, opts Options) (*DB, error) {
	if path == "" || path == ":memory:" {
		return nil, errors.New("sqlitedb: a file path is required (each :memory: connection would be a separate database)")
	}
	if opts.Synchronous == "" {
		opts.Synchronous = "NORMAL"
	}
	if opts.Synchronous != "NORMAL" && opts.Synchronous != "FULL" {
		return nil, fmt.Errorf("sqlitedb: synchronous must be NORMAL or FULL, not %q", opts.Synchronous)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("sqlitedb: create folder for %s: %w", path, err)
	}

	write, err := sql.Open(driverName, dsn(path, opts, false))
	if err != nil {
		return nil, fmt.Errorf("sqlitedb: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	// The first connection switches the file to WAL mode; do it now so that an
	// unusable path fails here and not on the first request.
	if err := write.PingContext(context.Background()); err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("sqlitedb: open %s: %w", path, err)
	}

	read, err := sql.Open(driverName, dsn(path, opts, true))
	if err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("sqlitedb: open %s for reading: %w", path, err)
	}
	readers := max(4, runtime.NumCPU())
	read.SetMaxOpenConns(readers)
	read.SetMaxIdleConns(readers)
	return &DB{Write: write, Read: read}, nil
}

// Go runs work that uses the database in the background (stage 4's projectors)
// until it returns, which it must do once its context ends. Close waits for it,
// so the last transaction of a stopping projector finishes before the pools close,
// and no file of the database is still being written after Close returns.
func (db *DB) Go(work func()) {
	db.background.Go(work)
}

// Close waits, up to CloseWait, for the work started with Go, then closes both
// pools. Work still running by then fails on the closed pools (its transaction
// rolls back), and Close says so.
func (db *DB) Close() error {
	stopped := make(chan struct{})
	go func() { db.background.Wait(); close(stopped) }()
	var late error
	select {
	case <-stopped:
	case <-time.After(CloseWait):
		late = fmt.Errorf("sqlitedb: background work still running after %s; closing anyway", CloseWait)
	}
	return errors.Join(late, db.Read.Close(), db.Write.Close())
}

// Ping checks that both pools can reach the file (used by GET /healthz).
func (db *DB) Ping(ctx context.Context) error {
	return errors.Join(db.Write.PingContext(ctx), db.Read.PingContext(ctx))
}

// fileURI makes an SQLite URI of a file path and options. The path is escaped, so
// that a folder named "a#b" or "q?x" is that folder, not a truncated path.
func fileURI(path string, options url.Values) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	slashed := filepath.ToSlash(path)
	if !strings.HasPrefix(slashed, "/") {
		slashed = "/" + slashed // a Windows drive: file:///C:/...
	}
	return (&url.URL{Scheme: "file", Path: slashed, RawQuery: options.Encode()}).String()
}

// Driver names the SQLite driver this binary was built with.
func Driver() string { return driverDescription }
