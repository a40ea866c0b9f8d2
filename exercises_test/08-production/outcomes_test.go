package production_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// Task 8.3: every command ends in one outcome, named for an operator; the
// metrics count commands by it, and each command's log line names it.

func Test8_3_EveryWayACommandEndsHasItsOutcome(t *testing.T) {
	c := spec.For(t, stage)
	wrap := func(err error) error { return fmt.Errorf("save account %s: %w", adaID, err) }
	for _, tc := range []struct {
		what string
		res  bank.CommandResult
		err  error
		want string
	}{
		{"stored", bank.CommandResult{Version: 2}, nil, bank.OutcomeOK},
		{"a retry with a key seen before", bank.CommandResult{Version: 2, Replayed: true}, nil, bank.OutcomeReplayed},
		{"a malformed command", bank.CommandResult{}, &bank.ValidationError{Field: "amount", Problem: "must be above 0"}, bank.OutcomeInvalid},
		{"a malformed command, wrapped", bank.CommandResult{}, wrap(&bank.ValidationError{Field: "amount", Problem: "must be above 0"}), bank.OutcomeInvalid},
		{"no such account", bank.CommandResult{}, wrap(bank.ErrAccountNotFound), bank.OutcomeNotFound},
		{"an overdraft above the kind's limit", bank.CommandResult{}, &bank.PolicyError{Reason: "above the limit"}, bank.OutcomeRejected},
		{"a key reused for another request", bank.CommandResult{}, wrap(bank.ErrIdempotencyKeyReused), bank.OutcomeRejected},
		{"a closed account", bank.CommandResult{}, wrap(bank.ErrAccountClosed), bank.OutcomeRejected},
		{"not enough money", bank.CommandResult{}, wrap(bank.ErrInsufficientFunds), bank.OutcomeRejected},
		{"closing an account that holds money", bank.CommandResult{}, wrap(bank.ErrBalanceNotZero), bank.OutcomeRejected},
		{"a deposit over the balance limit", bank.CommandResult{}, wrap(bank.ErrBalanceLimit), bank.OutcomeRejected},
		{"an If-Match out of date", bank.CommandResult{}, wrap(&bank.StaleVersionError{}), bank.OutcomeStale},
		{"still conflicting after every retry", bank.CommandResult{}, wrap(&bank.ConcurrencyError{StreamID: "account-" + adaID, Expected: 2, Actual: 3}), bank.OutcomeConflict},
		{"a broken disk", bank.CommandResult{}, wrap(errors.New("disk I/O error")), bank.OutcomeError},
		{"a request given up on", bank.CommandResult{}, wrap(context.Canceled), bank.OutcomeError},
	} {
		c.Doing("OutcomeOf(%+v, %v): %s", tc.res, tc.err, tc.what)
		c.Equal(tc.want, bank.OutcomeOf(tc.res, tc.err), "the outcome")
	}
}

func Test8_3_MetricsCountCommandsByOutcome(t *testing.T) {
	c := spec.For(t, stage)
	s := newSnapServer(t, 0)
	id := c.OpenAccount(s.API, "checking", 0)
	path := "/accounts/" + id
	for _, step := range []struct {
		what   string
		path   string
		body   map[string]any
		status int
		header []string
	}{
		{"deposit 100", path + "/deposits", map[string]any{"amount": 100}, http.StatusOK, nil},
		{"deposit 50 with an Idempotency-Key", path + "/deposits", map[string]any{"amount": 50}, http.StatusOK, []string{"Idempotency-Key", "k-1"}},
		{"send it again", path + "/deposits", map[string]any{"amount": 50}, http.StatusOK, []string{"Idempotency-Key", "k-1"}},
		{"deposit -5", path + "/deposits", map[string]any{"amount": -5}, http.StatusBadRequest, nil},
		{"withdraw 1000 of 150", path + "/withdrawals", map[string]any{"amount": 1000}, http.StatusUnprocessableEntity, nil},
		{"withdraw 10 If-Match version 1", path + "/withdrawals", map[string]any{"amount": 10}, http.StatusPreconditionFailed, []string{"If-Match", `"1"`}},
		{"deposit into an account that does not exist", "/accounts/" + adaID + "/deposits", map[string]any{"amount": 100}, http.StatusNotFound, nil},
	} {
		c.Doing("%s", step.what)
		c.Status(s.Post(step.path, step.body, step.header...), step.status)
	}
	c.Doing("GET /metrics after those commands")
	m := scrape(c, s.API)
	for series, want := range map[string]int64{
		`bank_commands_total{command="OpenAccount",outcome="ok"}`:         1,
		`bank_commands_total{command="DepositMoney",outcome="ok"}`:        2,
		`bank_commands_total{command="DepositMoney",outcome="replayed"}`:  1,
		`bank_commands_total{command="DepositMoney",outcome="invalid"}`:   1,
		`bank_commands_total{command="DepositMoney",outcome="not_found"}`: 1,
		`bank_commands_total{command="WithdrawMoney",outcome="rejected"}`: 1,
		`bank_commands_total{command="WithdrawMoney",outcome="stale"}`:    1,
	} {
		c.That(m.value(series) == want, fmt.Sprintf("%s %d", series, want), m.lines("bank_commands_total"))
	}
	c.Equal(int64(8), m.value(`bank_command_duration_seconds_count{command="DepositMoney"}`)+m.value(`bank_command_duration_seconds_count{command="WithdrawMoney"}`)+m.value(`bank_command_duration_seconds_count{command="OpenAccount"}`),
		"commands timed (bank_command_duration_seconds_count): every one, whatever its outcome")
	c.That(strings.Contains(s.Log(), "outcome=rejected") && strings.Contains(s.Log(), "outcome=stale"),
		"the commands' log lines with their outcomes (outcome=rejected, outcome=stale)", s.Log())
}
