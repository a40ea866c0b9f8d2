package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"net/http/httptrace"
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
	db *sqlitedb.DB
	tx *sql.Tx
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

// grabWriteLockWhen takes the write lock on the database file at path the
// first moment it is free and the query ready (one boolean) says yes, trying
// every 200 µs for at most limit. A demo that must catch a server between two
// of its own commits (a rebuild's batches) cannot use SQLite's busy handler: it
// sleeps longer and longer between tries, up to 100 ms, while a writer that
// commits batch after batch takes the lock again first, every time.
func grabWriteLockWhen(path string, limit time.Duration, ready string, args ...any) (*writeLock, error) {
	db, err := sqlitedb.Open(path)
	if err != nil {
		return nil, err
	}
	if _, err := db.Write.Exec(`PRAGMA busy_timeout = 0`); err != nil { // the pool's one connection keeps it
		return nil, errors.Join(err, db.Close())
	}
	for deadline := time.Now().Add(limit); ; time.Sleep(200 * time.Microsecond) {
		if time.Now().After(deadline) {
			return nil, errors.Join(notShown("the write lock was not free, or %q not true, within %s", ready, limit), db.Close())
		}
		tx, err := db.Write.BeginTx(context.Background(), nil)
		if sqlitedb.IsBusy(err) {
			continue
		}
		if err != nil {
			return nil, errors.Join(err, db.Close())
		}
		var ok bool
		if err := tx.QueryRow(ready, args...).Scan(&ok); err != nil || !ok {
			_ = tx.Rollback()
			continue // not yet: let the server's writers in
		}
		return &writeLock{db: db, tx: tx}, nil
	}
}

// release lets the waiting writes go, having written nothing.
func (l *writeLock) release() error {
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
