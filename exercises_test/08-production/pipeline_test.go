package production_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/internal/sqlitedb"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

func TestGuard_BadInputIsRefusedAndWritesNothing(t *testing.T) {
	c := spec.For(t, stage)
	api, db := newAPI(t)
	cases := append(spec.BadRequests(adaID), spec.CQRSBadRequests(adaID)...)
	// Malformed: not * and not a list of entity tags (stage 3).
	for _, ifMatch := range []string{`1`, `'1'`, "`2`", `"1`, `W/1`, `w/"1"`, `"1" "2"`, `*, "1"`, `"a b"`, `,`, `" 1"`, `1"`} {
		cases = append(cases, spec.BadRequest{Name: "malformed If-Match " + ifMatch, Method: "POST", Path: "/accounts/" + adaID + "/deposits",
			ContentType: "application/json", Body: `{"amount":5}`, Headers: []string{"If-Match", ifMatch}, Want: http.StatusBadRequest})
	}
	cases = append(cases, spec.BadRequest{Name: "close with a malformed If-Match", Method: "POST", Path: "/accounts/" + adaID + "/close",
		Headers: []string{"If-Match", "1"}, Want: http.StatusBadRequest})
	cases = append(cases, spec.PolicyRefusals()...)
	cases = append(cases, spec.OutboxBadRequests()...)
	for _, bad := range cases {
		c.CheckRefused(bad, api.Send(bad))
	}
	for _, table := range []string{"events", "idempotency_keys", "outbox", "dead_letters"} {
		var n int
		c.NoError(db.Read.QueryRow(`SELECT COUNT(*) FROM `+table).Scan(&n), "counting the rows of "+table)
		c.Equal(0, n, "rows in "+table)
	}
}

func TestGuard_AMalformedCommandLoadsNothing(t *testing.T) {
	c := spec.Guard(t, stage, "outbox.go", "A malformed command loads nothing")
	api, db := spec.StartQuietAPI(t, bank.NewServer) // its projectors stopped: every read counted is the command's
	id := c.OpenAccount(api, "checking", 1000)
	for _, bad := range []struct {
		name, path string
		body       any
	}{
		{"deposit 0", "/accounts/" + id + "/deposits", map[string]any{"amount": 0}},
		{"deposit -5", "/accounts/" + id + "/deposits", map[string]any{"amount": -5}},
		{"withdraw 5 for a reason with a line break", "/accounts/" + id + "/withdrawals", map[string]any{"amount": 5, "reference": "rent\nMarch"}},
		{"withdraw 5 from the nil UUID", "/accounts/00000000-0000-0000-0000-000000000000/withdrawals", map[string]any{"amount": 5}},
		{"close the nil UUID", "/accounts/00000000-0000-0000-0000-000000000000/close", nil},
	} {
		c.Doing("%s, counting the reads of the database", bad.name)
		read, r := readsAny(c, db, func() spec.Response {
			return api.Post(bad.path, bad.body, "Idempotency-Key", "k-"+strings.ReplaceAll(bad.name, " ", "-"))
		})
		c.Status(r, http.StatusBadRequest)
		c.That(!read, "no read of the database: a malformed command is refused before its handler loads the account (validated runs before next)",
			"a read: the account was loaded first, and the command refused after")
	}
	c.Doing("deposit 5, watching the reads: a well-formed command loads its account")
	read, r := readsAny(c, db, func() spec.Response { return api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 5}) })
	c.Status(r, http.StatusOK)
	c.That(read, "at least one read (the snapshot and the account's stream)", "none: the test cannot see loads, and proves nothing above")
}

// readsAny sends a request while the test holds every reader of db, and reports
// whether the request asked for one. It then lets the readers go, so that a
// request reading more than once (from this stage: the snapshot, then the
// stream) still finishes. (spec.CountReads counts reads one by one, which a
// load of two reads in a row can outrun.)
func readsAny(c *spec.Check, db *sqlitedb.DB, send func() spec.Response) (bool, spec.Response) {
	var held []*sql.Conn
	for range db.Read.Stats().MaxOpenConnections {
		conn, err := db.Read.Conn(context.Background())
		c.NoError(err, "holding a reader (test setup)")
		held = append(held, conn)
	}
	release := func() {
		for _, conn := range held {
			_ = conn.Close()
		}
		held = nil
	}
	defer release()
	baseline := db.Read.Stats().WaitCount
	done := make(chan spec.Response, 1)
	go func() { done <- send() }()
	read := false
	for deadline := time.Now().Add(spec.CallTimeout); time.Now().Before(deadline); {
		select {
		case r := <-done:
			return read, r
		default:
		}
		if !read && db.Read.Stats().WaitCount > baseline {
			read = true
			release()
		}
		time.Sleep(100 * time.Microsecond) // polling a counter, bounded by the deadline
	}
	c.Fail("an answer within the test's time", fmt.Sprintf("no answer (a read asked for: %v)", read))
	return read, spec.Response{}
}

func TestGuard_TheCommandIdIsTheCausationOfItsEvents(t *testing.T) {
	c := spec.Guard(t, stage, "outbox.go", "the command id is the causation of its events")
	api, _ := newAPI(t)
	id := c.OpenAccount(api, "checking", 1000)
	c.Doing("withdraw 1 without an Idempotency-Key, with X-Correlation-ID: checkout-7")
	r := api.Post("/accounts/"+id+"/withdrawals", map[string]any{"amount": 1}, "X-Correlation-ID", "checkout-7")
	c.Status(r, http.StatusOK)
	events := c.Stream(api, id)
	c.Equal(2, len(events), "events in the stream")
	c.Equal(r.Header.Get("X-Request-ID"), events[1].Metadata.CausationID,
		"the withdrawal's causation_id: its command's id, which without a key is the request's X-Request-ID (not the correlation id)")
	c.Equal("checkout-7", events[1].Metadata.CorrelationID, "the withdrawal's correlation_id (the client's X-Correlation-ID, kept)")
}
