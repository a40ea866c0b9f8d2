package outbox_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
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

func Test5_2_AMalformedCommandLoadsNothing(t *testing.T) {
	c := spec.For(t, stage)
	api, db := newAPI(t)
	id := c.OpenAccount(api, "checking", 1000)
	_, err := db.Write.Exec(`ALTER TABLE events RENAME TO events_hidden`)
	c.NoError(err, "hiding the events table (test setup): a command that reads it gets a 500")
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
		c.Doing("%s while the events table is hidden", bad.name)
		r := api.Post(bad.path, bad.body, "Idempotency-Key", "k-"+strings.ReplaceAll(bad.name, " ", "-"))
		switch r.Status {
		case http.StatusInternalServerError:
			c.Fail("400: a malformed command is refused before its account is loaded",
				r.Describe()+"\nThe command read the events table: validate it before its handler loads anything.")
		default:
			c.Status(r, http.StatusBadRequest)
		}
	}
	c.Doing("deposit 5 while the events table is hidden: a well-formed command loads the account, and fails")
	c.Status(api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 5}), http.StatusInternalServerError)
}

func Test5_2_TheCommandIdIsTheCausationOfItsEvents(t *testing.T) {
	c := spec.For(t, stage)
	api, _ := newAPI(t)
	id := c.OpenAccount(api, "checking", 1000)
	c.Doing("deposit 5 with Idempotency-Key: salary-march")
	c.Status(api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 5}, "Idempotency-Key", "salary-march"), http.StatusOK)
	c.Doing("withdraw 1 without a key")
	r := api.Post("/accounts/"+id+"/withdrawals", map[string]any{"amount": 1})
	c.Status(r, http.StatusOK)
	events := c.Stream(api, id)
	c.Equal(3, len(events), "events in the stream")
	c.Equal("salary-march", events[1].Metadata.CausationID, "the deposit's causation_id (its command's id: the Idempotency-Key)")
	c.Equal(r.Header.Get("X-Request-ID"), events[2].Metadata.CausationID, "the withdrawal's causation_id (without a key: the request's X-Request-ID)")
}
