package aggregates_test

import (
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/03-aggregates"
)

// ifMatchDeposit deposits 1 with the given If-Match header.
func ifMatchDeposit(api *spec.API, id, ifMatch string) spec.Response {
	return api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 1}, "If-Match", ifMatch)
}

func Test3_4_AWeakIfMatchNeverMatches(t *testing.T) {
	c := spec.For(t, stage)
	api, _ := newAPI(t)
	id := c.OpenAccount(api, "savings", 0)
	for _, tag := range []string{`W/"1"`, `W/"1", W/"2"`} {
		c.Doing(`deposit with If-Match: %s on an account at version 1 (RFC 9110: If-Match compares strongly)`, tag)
		c.Status(ifMatchDeposit(api, id, tag), http.StatusPreconditionFailed)
	}
	for _, tag := range []string{`"one"`, `"0"`, `"01"`, `""`, `"2"`, `"-1"`, `"#1"`, `"~"`, "\"\u0080\"", `"99999999999999999999"`} {
		c.Doing(`deposit with If-Match: %s, a well-formed tag that is not the account's ETag "1"`, tag)
		c.Status(ifMatchDeposit(api, id, tag), http.StatusPreconditionFailed)
	}
	c.Doing("read the account after the refused deposits")
	r := api.Get("/accounts/" + id)
	c.That(r.Int("balance") == 0 && r.Int("version") == 1, "balance 0 at version 1: a 412 writes nothing", r.Describe())
}

func Test3_4_AnIfMatchListMatchesAnyOfItsTags(t *testing.T) {
	c := spec.For(t, stage)
	c.KeptBy("http_if_match.go and precondition.go (Allows)")
	api, _ := newAPI(t)
	id := c.OpenAccount(api, "savings", 0)
	for _, step := range []struct {
		ifMatch string
		version int64
	}{
		{`"1", "2"`, 1},
		{`"1", "2"`, 2},
		{`W/"3", "9", "3"`, 3},
		{` "7" ,, "4" `, 4},
	} {
		c.Doing("deposit with If-Match: %s on an account at version %d", step.ifMatch, step.version)
		r := ifMatchDeposit(api, id, step.ifMatch)
		c.Status(r, http.StatusOK)
		c.Equal(int64(step.version+1), r.Int("version"), "version after the deposit")
	}
	c.Doing(`deposit with If-Match: "1", "2", "3" on an account at version 5`)
	c.Status(ifMatchDeposit(api, id, `"1", "2", "3"`), http.StatusPreconditionFailed)
}

func Test3_4_IfMatchStarMatchesAnyExistingAccount(t *testing.T) {
	c := spec.For(t, stage)
	api, _ := newAPI(t)
	id := c.OpenAccount(api, "savings", 0)
	for v := int64(1); v <= 2; v++ {
		c.Doing("deposit with If-Match: * on an account at version %d", v)
		r := ifMatchDeposit(api, id, "*")
		c.Status(r, http.StatusOK)
		c.Equal(v+1, r.Int("version"), "version after the deposit")
	}
	c.Doing("deposit with If-Match: * into an account that does not exist")
	c.Status(ifMatchDeposit(api, adaID, "*"), http.StatusNotFound)
}

func TestGuard_RetryPausesStayWithinTheirBounds(t *testing.T) {
	c := spec.Guard(t, stage, "command_handler.go (RetryPause)", "retry pauses are bounded and back off")
	attempts := []int{math.MinInt, -1, 0}
	for n := 1; n <= 100; n++ {
		attempts = append(attempts, n)
	}
	attempts = append(attempts, 1<<20, 1<<40, math.MaxInt32, math.MaxInt-1, math.MaxInt)
	for _, attempt := range attempts {
		c.Doing("RetryPause(%d), 20 times (it is random)", attempt)
		for range 20 {
			d := bank.RetryPause(attempt)
			c.That(d > 0 && d <= 32*time.Millisecond, "a pause above 0 and at most 32ms, for any attempt number", d.String())
			if attempt <= 1 {
				c.That(d <= time.Millisecond, "at most 1ms before the first retry", d.String())
			}
		}
	}
	c.Doing("RetryPause(10), 200 times: its ceiling has doubled up to 32ms")
	longest := time.Duration(0)
	for range 200 {
		longest = max(longest, bank.RetryPause(10))
	}
	// Uniform below 32ms: all 200 below 16ms has a chance of 2^-200.
	c.That(longest > 16*time.Millisecond, "some pauses above 16ms (the ceiling doubles each attempt: backoff)", "the longest was "+longest.String())
}
