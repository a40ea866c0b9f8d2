package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"net/http/httptrace"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

// A race shown by luck shows in 2 runs of 11. The demos make it certain the way
// the tests do (spec.Collide), from outside the server's process: they take
// SQLite's write lock on the server's database file (BEGIN IMMEDIATE) and hold
// it while the colliding requests arrive. Reads go on under it (WAL), writes
// wait for it, so every request reads the same state before any of them can
// write. Then the demo lets go, well inside the server's busy timeout
// (internal/sqlitedb.BusyTimeoutMillis), and the writes go through one by one.

// writeLock is SQLite's write lock on a database file, held by this process.
type writeLock struct {
	db    *sqlitedb.DB
	tx    *sql.Tx
	taker bool // taken by a lockTaker, which owns db
}

// holdWriteLock takes the write lock on the database file at path, waiting
// (up to the busy timeout) for a write in progress to finish.
func holdWriteLock(path string) (*writeLock, error) {
	db, err := sqlitedb.Open(path)
	if err != nil {
		return nil, err
	}
	tx, err := db.Write.BeginTx(context.Background(), nil) // sqlitedb begins write transactions IMMEDIATE: the lock, at once
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return &writeLock{db: db, tx: tx}, nil
}

// lockTaker is a connection to a server's database that waits for one moment
// between two of the server's own commits (a rebuild's batches) to take the
// write lock. It is opened before that moment can come, so that opening the
// file and reading its schema do not eat the moment on a fast machine.
type lockTaker struct{ db *sqlitedb.DB }

// errMomentPassed is a lockTaker's condition saying its moment has gone by
// (the rebuild it waited for is over): trying again means starting again.
var errMomentPassed = errors.New("the moment to take the write lock has passed")

// openLockTaker opens the database file at path for takeWhen.
func openLockTaker(path string) (*lockTaker, error) {
	db, err := sqlitedb.Open(path)
	if err != nil {
		return nil, err
	}
	if _, err := db.Write.Exec(`PRAGMA busy_timeout = 0`); err != nil { // the pool's one connection keeps it
		return nil, errors.Join(err, db.Close())
	}
	return &lockTaker{db: db}, nil
}

// takeWhen takes the write lock the first moment it is free and the query
// ready (one integer, read under the lock) says so: above 0, take it; 0, not
// yet; below 0, the moment has passed (errMomentPassed). It tries again at
// once, for at most limit. SQLite's busy handler cannot catch a writer that
// commits batch after batch: it sleeps longer and longer between tries (up to
// 100 ms), and the writer takes the lock again first, every time.
func (t *lockTaker) takeWhen(limit time.Duration, ready string, args ...any) (*writeLock, error) {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); runtime.Gosched() {
		tx, err := t.db.Write.BeginTx(context.Background(), nil)
		if sqlitedb.IsBusy(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var answer int
		if err := tx.QueryRow(ready, args...).Scan(&answer); err != nil || answer <= 0 {
			_ = tx.Rollback()
			if err == nil && answer < 0 {
				return nil, errMomentPassed
			}
			continue // not yet: let the server's writers in
		}
		return &writeLock{db: t.db, tx: tx, taker: true}, nil
	}
	return nil, notShown("the write lock was not free, or %q not true, within %s", ready, limit)
}

// close lets go of the database file, once no lock taken by t is held.
func (t *lockTaker) close() error { return t.db.Close() }

// release lets the waiting writes go, having written nothing. A lock from a
// lockTaker leaves its connection open for the next takeWhen.
func (l *writeLock) release() error {
	if l.taker {
		return l.tx.Rollback()
	}
	return errors.Join(l.tx.Rollback(), l.db.Close())
}

const (
	// collideSettle is how long the lock is still held once the last request is
	// on the wire: the server reads a request in well under a millisecond, so a
	// second is ample even on a laptop busy with other work.
	collideSettle = time.Second
	// collideMaxHold bounds the whole hold at half the server's busy timeout:
	// its first write has waited since the first request arrived, and must
	// still get the lock before its timeout.
	collideMaxHold = sqlitedb.BusyTimeoutMillis * time.Millisecond / 2
)

// demoRequest is one request of a collision.
type demoRequest struct {
	method, path string
	body         any
	headers      []string // name/value pairs
}

// demoAnswer is what the server answered to one request.
type demoAnswer struct {
	status int
	body   []byte
	err    error
}

// collide sends every request at once while holding the write lock of srv's
// database, and lets go once all of them are on the wire and the server has
// had collideSettle to read what they need. It returns the answers in order,
// and an error when the requests could not all be sent within collideMaxHold
// (the collision would then be luck again).
func collide(srv *demoServer, reqs []demoRequest) ([]demoAnswer, error) {
	lock, err := holdWriteLock(srv.db)
	if err != nil {
		return nil, err
	}
	started := time.Now()
	var sent, answered sync.WaitGroup
	sent.Add(len(reqs))
	answers := make([]demoAnswer, len(reqs))
	for i, r := range reqs {
		answered.Go(func() {
			var once sync.Once
			trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { once.Do(sent.Done) }}
			ctx := httptrace.WithClientTrace(context.Background(), trace)
			a := &answers[i]
			a.status, a.body, a.err = srv.callContext(ctx, r.method, r.path, r.body, r.headers...)
			once.Do(sent.Done) // it failed before it was written
		})
	}
	allSent := make(chan struct{})
	go func() { sent.Wait(); close(allSent) }()
	var late error
	select {
	case <-allSent:
		time.Sleep(min(collideSettle, collideMaxHold-time.Since(started))) // the server reads meanwhile; nothing to poll from outside its process
	case <-time.After(collideMaxHold):
		late = notShown("the requests were not all sent within %s of taking the write lock (is the machine very busy?)", collideMaxHold)
	}
	err = lock.release()
	answered.Wait()
	return answers, errors.Join(late, err)
}

// countStatuses lists how many answers had each status: "39 × 200, 1 × 422".
// An answer that never came counts as "no answer".
func countStatuses(answers []demoAnswer) string {
	counts := map[int]int{}
	for _, a := range answers {
		counts[a.status]++
	}
	codes := slices.Sorted(maps.Keys(counts))
	parts := make([]string, len(codes))
	for i, code := range codes {
		what := strconv.Itoa(code)
		if code == 0 {
			what = "no answer"
		}
		parts[i] = fmt.Sprintf("%d × %s", counts[code], what)
	}
	return strings.Join(parts, ", ")
}

// countStatus is how many answers had status.
func countStatus(answers []demoAnswer, status int) int {
	n := 0
	for _, a := range answers {
		if a.status == status {
			n++
		}
	}
	return n
}
