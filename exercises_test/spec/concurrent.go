package spec

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

// Statuses counts the HTTP statuses of a batch of requests.
type Statuses struct {
	counts    map[int]int
	lastError string // the server's last logged error, shown when some answered 500
}

// N is how many requests were answered with status code.
func (s Statuses) N(code int) int { return s.counts[code] }

func countOf(mu *sync.Mutex, n *int) int {
	mu.Lock()
	defer mu.Unlock()
	return *n
}

// collideGate bounds how long Collide holds the writer: well inside the server's
// request timeout, so that the released requests still have time to finish.
const collideGate = 5 * time.Second

// String lists the counts, e.g. "10 × 200, 30 × 422".
func (s Statuses) String() string {
	codes := make([]int, 0, len(s.counts))
	for code := range s.counts {
		codes = append(codes, code)
	}
	sort.Ints(codes)
	parts := make([]string, len(codes))
	for i, code := range codes {
		parts[i] = fmt.Sprintf("%d × %d", s.counts[code], code)
	}
	out := strings.Join(parts, ", ")
	if s.counts[500] > 0 && s.lastError != "" {
		out += "\nserver log: " + s.lastError
	}
	return out
}

// Collide sends n copies of one POST so that all of them read before any of them
// writes: it holds the database's only write connection until all n requests are
// waiting for it (or collideGate has passed, or all have answered), then lets them go. Every request
// has then decided on the same state, which is the worst case for lost updates
// and concurrency conflicts, made certain instead of left to the scheduler.
func (a *API) Collide(t testing.TB, db *sqlitedb.DB, n int, path string, body any) Statuses {
	t.Helper()
	posts := make([]Post, n)
	for i := range posts {
		posts[i] = Post{Path: path, Body: body}
	}
	statuses := Statuses{counts: map[int]int{}}
	for _, r := range a.CollideAll(t, db, posts) {
		statuses.counts[r.Status]++
	}
	statuses.lastError = lastError(a.log.String())
	return statuses
}

// Post is one request of CollideAll.
type Post struct {
	Path    string
	Body    any
	Headers []string // pairs, as for Do
}

// Copies is n copies of one request, for CollideAll.
func Copies(n int, p Post) []Post {
	posts := make([]Post, n)
	for i := range posts {
		posts[i] = p
	}
	return posts
}

// CollideAll is Collide for different requests (transfers in both directions, a
// deposit beside a close): all of them wait for the write connection before any
// of them writes. It returns their answers in the order of posts.
func (a *API) CollideAll(t testing.TB, db *sqlitedb.DB, posts []Post) []Response {
	t.Helper()
	writer := HoldWriter(t, db)
	var wg sync.WaitGroup
	var mu sync.Mutex
	answers := make([]Response, len(posts))
	finished := 0
	for i, p := range posts {
		wg.Go(func() {
			r := a.Post(p.Path, p.Body, p.Headers...)
			mu.Lock()
			answers[i] = r
			finished++
			mu.Unlock()
		})
	}
	writer.AwaitWaiters(len(posts), func() int { return countOf(&mu, &finished) })
	_ = writer.Rollback()
	wg.Wait()
	return answers
}

// HeldWriter is the database's only write connection, taken by a test: while the
// test holds it, every other write waits, and the test decides what happens first.
type HeldWriter struct {
	*sql.Tx // the test's own transaction on the write connection
	db      *sqlitedb.DB
	before  int64 // db.Write's wait count when the hold began
}

// HoldWriter begins a transaction on the write connection and keeps it until the
// test commits or rolls it back (or ends).
func HoldWriter(t testing.TB, db *sqlitedb.DB) *HeldWriter {
	t.Helper()
	tx, err := db.Write.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatalf("holding the write connection (test setup): %v", err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	return &HeldWriter{Tx: tx, db: db, before: db.Write.Stats().WaitCount}
}

// AwaitWaiters returns once n callers have either queued for the write connection
// since the hold began or finished without it (finished counts those), or when
// collideGate has passed. It reports whether all n arrived.
func (h *HeldWriter) AwaitWaiters(n int, finished func() int) bool {
	arrived := func() bool {
		return h.db.Write.Stats().WaitCount-h.before+int64(finished()) >= int64(n)
	}
	deadline := time.Now().Add(collideGate)
	for !arrived() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond) // polling a condition, bounded by the deadline
	}
	return true
}
