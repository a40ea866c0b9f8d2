package events_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
)

func Test2_3_CommandsAnswerWithVersionAndPosition(t *testing.T) {
	c := spec.For(t, stage)
	api, _ := newAPI(t)
	c.Doing("open an account")
	r := api.Post("/accounts", map[string]any{"owner": "Ada", "kind": "savings", "currency": "EUR"})
	c.Status(r, http.StatusCreated)
	id, opened := r.String("id"), r.Int("position")
	c.That(r.Int("version") == 1 && opened > 0, "version 1 and a position", r.Describe())
	c.Doing("deposit 2500")
	r = api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 2500})
	c.Status(r, http.StatusOK)
	c.That(r.Int("version") == 2 && r.Int("position") > opened, "version 2 and a later position", r.Describe())
	c.Doing("read the account")
	r = api.Get("/accounts/" + id)
	c.Status(r, http.StatusOK)
	c.That(r.Int("balance") == 2500 && r.Header.Get("ETag") == `"2"`, `balance 2500, ETag "2"`, r.Describe()+" ETag "+r.Header.Get("ETag"))
}

func Test2_3_TheStreamSaysWhyTheBalanceIsWhatItIs(t *testing.T) {
	c := spec.For(t, stage)
	api, _ := newAPI(t)
	c.CheckTheStreamSaysWhy(api, c.OpenAccount(api, "checking", 10000))
}

func Test2_3_HeadersFlowIntoEventMetadata(t *testing.T) {
	c := spec.For(t, stage)
	c.KeptBy("http_metadata.go (metadataFor) and eventstore_append.go (seal)")
	api, _ := newAPI(t)
	c.Doing("open and deposit with X-Correlation-ID: checkout-7 and X-User-ID: ada")
	open := api.Post("/accounts", map[string]any{"owner": "Ada", "kind": "savings", "currency": "EUR"}, "X-Correlation-ID", "checkout-7", "X-User-ID", "ada")
	c.Status(open, http.StatusCreated)
	id := open.String("id")
	deposit := api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 100}, "X-Correlation-ID", "checkout-7", "X-User-ID", "ada")
	c.Status(deposit, http.StatusOK)
	events := c.Stream(api, id)
	c.Equal(2, len(events), "events in the stream")
	for i, cmd := range []spec.Response{open, deposit} {
		m := events[i].Metadata
		c.Doing("the metadata of event %d (%s)", i+1, events[i].Type)
		c.Equal("checkout-7", m.CorrelationID, "correlation_id (the conversation)")
		c.Equal("ada", m.UserID, "user_id")
		c.Equal(cmd.Header.Get("X-Request-ID"), m.CausationID, "causation_id (the command's request id)")
	}
	c.That(events[0].Metadata.CausationID != events[1].Metadata.CausationID, "two commands, two causation ids", "the same causation id twice")
}

func Test2_3_ConcurrentWithdrawalsLoseNoUpdate(t *testing.T) {
	c := spec.For(t, stage)
	api, db := newAPI(t)
	id := c.OpenAccount(api, "checking", 1000)
	c.Doing("40 withdrawals of 100, all read at version 1 before any is appended")
	statuses := api.Collide(t, db, 40, "/accounts/"+id+"/withdrawals", map[string]any{"amount": 100})
	accepted := statuses.N(200)
	c.That(accepted == 1 && statuses.N(409) == 39,
		"1 × 200 and 39 × 409: all decided on version 1, only the first append may land (stage 3 adds retries)", statuses.String())
	r := api.Get("/accounts/" + id)
	c.That(r.Int("balance") == int64(-100*accepted), fmt.Sprintf("balance %d: one withdrawal of 100 per 200 OK", -100*accepted), r.Describe())
	events := c.Stream(api, id)
	for i, e := range events {
		c.That(e.Version == int64(i+1), fmt.Sprintf("versions 1..%d without gaps", len(events)), fmt.Sprintf("event %d has version %d", i+1, e.Version))
	}
	c.Equal(accepted+1, len(events), "events: AccountOpened and one per accepted withdrawal")
}

func Test2_3_TheGlobalLogPagesInPositionOrder(t *testing.T) {
	c := spec.For(t, stage)
	api, _ := newAPI(t)
	a := c.OpenAccount(api, "savings", 0)
	b := c.OpenAccount(api, "savings", 0)
	c.Status(api.Post("/accounts/"+a+"/deposits", map[string]any{"amount": 1}), http.StatusOK)
	var positions []int64
	var streams []string
	after := int64(0)
	for page := 0; page < 5; page++ {
		c.Doing("GET /events?after=%d&limit=2", after)
		r := api.Get(fmt.Sprintf("/events?after=%d&limit=2", after))
		c.Status(r, http.StatusOK)
		var body struct {
			Events []struct {
				Position int64  `json:"position"`
				StreamID string `json:"stream_id"`
			}
			NextAfter json.Number `json:"next_after"`
		}
		c.NoError(r.Decode(&body), "decoding the page")
		if len(body.Events) == 0 {
			break
		}
		for _, e := range body.Events {
			positions = append(positions, e.Position)
			streams = append(streams, e.StreamID)
		}
		after, _ = body.NextAfter.Int64()
	}
	c.Equal([]string{"account-" + a, "account-" + b, "account-" + a}, streams, "streams of the events, in position order")
	c.That(len(positions) == 3 && positions[0] < positions[1] && positions[1] < positions[2], "3 increasing positions", fmt.Sprint(positions))
}
