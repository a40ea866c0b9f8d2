package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
	"github.com/stretchr/testify/require"
)

// counterDB is a database with one table of rows, as a server would have.
func counterDB(t *testing.T) (*sqlitedb.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bank.db")
	db, err := sqlitedb.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	_, err = db.Write.Exec(`CREATE TABLE rows (n INTEGER)`)
	require.NoError(t, err)
	return db, path
}

func TestDemoWriteLockStopsWritesNotReads(t *testing.T) {
	db, path := counterDB(t)
	lock, err := holdWriteLock(path)
	require.NoError(t, err)

	var n int
	require.NoError(t, db.Read.QueryRow(`SELECT COUNT(*) FROM rows`).Scan(&n), "reads go on under the lock")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	written := make(chan error, 1)
	go func() { _, err := db.Write.ExecContext(ctx, `INSERT INTO rows VALUES (1)`); written <- err }()
	select {
	case err := <-written:
		t.Fatalf("a write went through the held lock: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	require.NoError(t, lock.release())
	require.NoError(t, <-written, "the waiting write goes through once the lock is released")
}

func TestDemoCollideLetsEveryRequestReadBeforeAnyWrites(t *testing.T) {
	db, path := counterDB(t)
	var mu sync.Mutex
	var seen []int
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int // read, decide, write: the shape of a lost update
		if err := db.Read.QueryRow(`SELECT COUNT(*) FROM rows`).Scan(&n); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if _, err := db.Write.Exec(`INSERT INTO rows VALUES (?)`, n); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		mu.Lock()
		seen = append(seen, n)
		mu.Unlock()
		_, _ = w.Write([]byte(strconv.Itoa(n)))
	})
	ts := httptest.NewServer(handler)
	defer ts.Close()
	srv := &demoServer{db: path, base: ts.URL}
	reqs := make([]demoRequest, 10)
	for i := range reqs {
		reqs[i] = demoRequest{method: http.MethodPost, path: "/", body: map[string]int{"i": i}}
	}

	answers, err := collide(srv, reqs)
	require.NoError(t, err)
	require.Equal(t, "10 × 200", countStatuses(answers))
	require.Equal(t, []int{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, seen, "every request read before any of them wrote")
}

func TestDemoLockTakerWaitsForItsCondition(t *testing.T) {
	db, path := counterDB(t)
	taker, err := openLockTaker(path)
	require.NoError(t, err)
	defer func() { require.NoError(t, taker.close()) }()
	go func() {
		time.Sleep(100 * time.Millisecond)
		_, _ = db.Write.Exec(`INSERT INTO rows VALUES (1)`)
	}()
	lock, err := taker.takeWhen(5*time.Second, `SELECT CASE WHEN COUNT(*) > 1 THEN -1 ELSE COUNT(*) END FROM rows`)
	require.NoError(t, err)
	var n int
	require.NoError(t, lock.tx.QueryRow(`SELECT COUNT(*) FROM rows`).Scan(&n))
	require.Equal(t, 1, n, "the lock is taken only once the condition holds")
	require.NoError(t, lock.release())

	_, err = taker.takeWhen(50*time.Millisecond, `SELECT 0`)
	require.ErrorIs(t, err, errNotShown, "a condition that never holds gives up after its limit")

	_, err = db.Write.Exec(`INSERT INTO rows VALUES (2)`)
	require.NoError(t, err)
	_, err = taker.takeWhen(5*time.Second, `SELECT CASE WHEN COUNT(*) > 1 THEN -1 ELSE COUNT(*) END FROM rows`)
	require.ErrorIs(t, err, errMomentPassed, "a condition below 0 says the moment has passed, at once")
}

func TestDemoCountStatuses(t *testing.T) {
	answers := []demoAnswer{{status: 200}, {status: 422}, {status: 200}, {status: 0}}
	require.Equal(t, "1 × no answer, 2 × 200, 1 × 422", countStatuses(answers))
	require.Equal(t, 2, countStatus(answers, 200))
	require.Equal(t, "", countStatuses(nil))
}
