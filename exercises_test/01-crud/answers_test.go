package crud_test

import (
	"context"
	"database/sql"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
)

// Test1_2_EachAnswerIsTheStateItsCommandWrote: each of 40 concurrent deposits (and
// withdrawals) answers with the state it wrote: 40 different versions, each with the
// balance of that version. UPDATE ... RETURNING gives exactly that; an UPDATE followed
// by a separate SELECT may read another command's write. The test takes every reader
// connection while the commands run, so such a SELECT can only run after all 40 writes.
func Test1_2_EachAnswerIsTheStateItsCommandWrote(t *testing.T) {
	for _, op := range []string{"deposits", "withdrawals"} {
		c := spec.For(t, stage)
		api, db := newAPIWithDB(t)
		id := c.OpenAccount(api, "checking", 10000)
		c.Doing("40 %s of 100 while the test holds every reader connection", op)
		var readers []*sql.Conn
		for range db.Read.Stats().MaxOpenConnections {
			conn, err := db.Read.Conn(context.Background())
			c.NoError(err, "holding a reader (test setup)")
			readers = append(readers, conn)
		}
		var wg sync.WaitGroup
		var finished atomic.Int64
		answers := make([]spec.Response, 40)
		for i := range answers {
			wg.Go(func() {
				answers[i] = api.Post("/accounts/"+id+"/"+op, map[string]any{"amount": 100})
				finished.Add(1)
			})
		}
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) && finished.Load() < 40 {
			var version int64
			if err := db.Write.QueryRow(`SELECT version FROM accounts WHERE id = ?`, id).Scan(&version); err == nil && version == 41 {
				break // every write is done; answers that still wait need a reader
			}
			time.Sleep(time.Millisecond) // polling a row, bounded by the deadline
		}
		for _, conn := range readers {
			_ = conn.Close()
		}
		wg.Wait()
		versions := map[int64]bool{}
		for _, r := range answers {
			c.Status(r, http.StatusOK)
			want := int64(100) * (r.Int("version") - 1)
			if op == "withdrawals" {
				want = -want
			}
			c.That(r.Int("balance") == want, "each answer's balance = the balance at the answer's version (100 per version): the state this command wrote", r.Describe())
			versions[r.Int("version")] = true
		}
		c.Equal(40, len(versions), "different versions among the 40 answers")
	}
}
