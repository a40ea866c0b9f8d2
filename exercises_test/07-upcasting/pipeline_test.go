package upcasting_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/07-upcasting"
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
		reads, r := c.CountReads(db, func() spec.Response {
			return api.Post(bad.path, bad.body, "Idempotency-Key", "k-"+strings.ReplaceAll(bad.name, " ", "-"))
		})
		c.Status(r, http.StatusBadRequest)
		c.That(reads == 0, "no read of the database: a malformed command is refused before its handler loads the account (validated runs before next)",
			fmt.Sprintf("%d read(s): the account was loaded first, and the command refused after", reads))
	}
	c.Doing("deposit 5, counting the reads: a well-formed command loads its account")
	reads, r := c.CountReads(db, func() spec.Response { return api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 5}) })
	c.Status(r, http.StatusOK)
	c.That(reads > 0, "at least one read (the account's stream)", "none: the test cannot see loads, and proves nothing above")
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
