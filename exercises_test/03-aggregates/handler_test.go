package aggregates_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
)

func Test3_4_ConcurrentWithdrawalsAcceptExactlyWhatIsAffordable(t *testing.T) {
	c := spec.For(t, stage)
	api, db := newAPI(t)
	id := c.OpenAccount(api, "checking", 1000)
	c.Doing("40 withdrawals of 100, all decided at version 1 before any is saved; the overdraft limit of 1000 affords 10")
	statuses := api.Collide(t, db, 40, "/accounts/"+id+"/withdrawals", map[string]any{"amount": 100})
	got := statuses.String()
	switch {
	case statuses.N(200) > 10:
		got += "\nMore withdrawals than the limit affords: a retry re-sent a decision made on an old balance instead of deciding again."
	case statuses.N(409) > 0:
		got += "\n409 means a command met a conflict and gave up: after a conflict, load the account again, decide again, save again."
	}
	c.That(statuses.N(200) == 10 && statuses.N(422) == 30, "10 × 200 and 30 × 422: conflicts retried, none lost, none wrongly refused", got)
	r := api.Get("/accounts/" + id)
	c.Status(r, http.StatusOK)
	c.That(r.Int("balance") == -1000 && r.Int("version") == 11, "balance -1000 at version 11", r.Describe())
	c.Doing("read the stream")
	events := api.Get("/accounts/" + id + "/events")
	var body struct{ Events []struct{ Version int64 } }
	c.NoError(events.Decode(&body), "decoding the events")
	for i, e := range body.Events {
		c.That(e.Version == int64(i+1), "versions 1..11 without gaps", fmt.Sprintf("event %d has version %d", i+1, e.Version))
	}
	c.Equal(11, len(body.Events), "events in the stream")
}

func Test3_4_AStaleIfMatchIsRefusedWith412(t *testing.T) {
	c := spec.For(t, stage)
	api, _ := newAPI(t)
	id := c.OpenAccount(api, "checking", 1000)
	c.Doing(`deposit with If-Match: "1" (the current version)`)
	r := api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 100}, "If-Match", `"1"`)
	c.Status(r, http.StatusOK)
	c.Equal(`"2"`, r.Header.Get("ETag"), "ETag after the deposit")
	c.Doing(`withdraw with If-Match: "1" again, now stale`)
	r = api.Post("/accounts/"+id+"/withdrawals", map[string]any{"amount": 100}, "If-Match", `"1"`)
	c.Status(r, http.StatusPreconditionFailed)
	c.Doing(`close with If-Match: "1", still stale`)
	c.Status(api.Post("/accounts/"+id+"/close", nil, "If-Match", `"1"`), http.StatusPreconditionFailed)
	r = api.Get("/accounts/" + id)
	c.That(r.Int("balance") == 100 && r.Int("version") == 2, "balance 100 at version 2: the refused commands wrote nothing", r.Describe())
}

func Test3_4_CommandsAnswerWithVersionPositionAndETag(t *testing.T) {
	c := spec.For(t, stage)
	api, _ := newAPI(t)
	id := c.OpenAccount(api, "savings", 0)
	c.Doing("deposit 700, withdraw 700, close")
	for i, step := range []struct {
		path string
		body any
	}{{"/deposits", map[string]any{"amount": 700}}, {"/withdrawals", map[string]any{"amount": 700}}, {"/close", nil}} {
		r := api.Post("/accounts/"+id+step.path, step.body)
		c.Status(r, http.StatusOK)
		v := int64(i + 2)
		c.That(r.Int("version") == v && r.Int("position") > 0 && r.Header.Get("ETag") == fmt.Sprintf(`"%d"`, v),
			fmt.Sprintf(`version %d, a position, ETag "%d"`, v, v), r.Describe())
	}
	c.Doing("deposit into the closed account")
	c.Status(api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 1}), http.StatusUnprocessableEntity)
}
