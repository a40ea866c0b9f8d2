package aggregates_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/03-aggregates"
)

// Task 3.5 (stretch): closing with a payout, one command that records two events.

var closeWithPayout = (*bank.Account).CloseWithPayout

func payout(amount int64) bank.MoneyWithdrawn {
	return bank.MoneyWithdrawn{Amount: amount, Reference: bank.PayoutReference}
}

func Test3_5_ClosingWithAPayoutRecordsTheWithdrawalThenTheClosing(t *testing.T) {
	c := spec.For(t, stage)
	given(c, opened(bank.Savings, 0), bank.MoneyDeposited{Amount: 700, Reference: "salary March"}).
		When("CloseWithPayout() on a savings account holding 700", on(closeWithPayout)).
		Then(payout(700), bank.AccountClosed{})
	given(c, opened(bank.Checking, 10000), bank.MoneyDeposited{Amount: 500}, bank.MoneyWithdrawn{Amount: 200, Reference: "rent"}).
		When("CloseWithPayout() on a checking account holding 300", on(closeWithPayout)).
		Then(payout(300), bank.AccountClosed{})
	c.Doing("CloseWithPayout() on a checking account holding 300, then read its state")
	acc, err := bank.NewAccountFactory().Reconstitute(history(opened(bank.Checking, 10000), bank.MoneyDeposited{Amount: 300}))
	c.NoError(err, "Reconstitute")
	c.NoError(acc.CloseWithPayout(), "CloseWithPayout")
	v := acc.View()
	c.That(v.Balance == 0 && v.Status == bank.StatusClosed && v.Version == 4, "balance 0, closed, version 4 (2 loaded + 2 recorded)",
		fmt.Sprintf("balance %d, %s, version %d", v.Balance, v.Status, v.Version))
}

func Test3_5_AnAccountWithNothingInItJustCloses(t *testing.T) {
	c := spec.For(t, stage)
	given(c, opened(bank.Savings, 0), bank.MoneyDeposited{Amount: 100}, bank.MoneyWithdrawn{Amount: 100}).
		When("CloseWithPayout() on an account holding 0 (a payout of 0 is no fact: amounts are positive)", on(closeWithPayout)).
		Then(bank.AccountClosed{})
}

func Test3_5_AnOverdrawnOrClosedAccountRecordsNothing(t *testing.T) {
	c := spec.For(t, stage)
	given(c, opened(bank.Checking, 10000), bank.MoneyWithdrawn{Amount: 300}).
		When("CloseWithPayout() on an account at -300: it owes the bank", on(closeWithPayout)).
		ThenFails(bank.ErrOverdrawn)
	given(c, opened(bank.Checking, 10000), bank.MoneyWithdrawn{Amount: 1}).
		When("CloseWithPayout() on an account at -1", on(closeWithPayout)).
		ThenFails(bank.ErrOverdrawn)
	given(c, opened(bank.Savings, 0), bank.AccountClosed{}).
		When("CloseWithPayout() on a closed account", on(closeWithPayout)).
		ThenFails(bank.ErrAccountClosed)
	given(c, opened(bank.Savings, 0), bank.MoneyDeposited{Amount: 500}, bank.AccountClosed{}).
		When("CloseWithPayout() on a closed account whose history leaves it a balance: closed takes no command, whatever the state", on(closeWithPayout)).
		ThenFails(bank.ErrAccountClosed)
}

// openWith500 opens a savings account and deposits 500 into it over the API.
func openWith500(c *spec.Check, api *spec.API) string {
	id := c.OpenAccount(api, "savings", 0)
	c.Doing("deposit 500 (setup for this test)")
	c.Status(api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 500, "reference": "salary March"}), http.StatusOK)
	return id
}

func closePayout(api *spec.API, id string, headers ...string) spec.Response {
	return api.Post("/accounts/"+id+"/close", map[string]any{"payout": true}, headers...)
}

func Test3_5_ThePayoutAndTheClosingAreSavedInOneAppend(t *testing.T) {
	c := spec.For(t, stage)
	api, _ := newAPI(t)
	id := openWith500(c, api)
	c.Doing(`POST /accounts/{id}/close {"payout":true} with X-Correlation-ID: closing-1, on an account holding 500`)
	r := closePayout(api, id, "X-Correlation-ID", "closing-1")
	c.Status(r, http.StatusOK)
	c.That(r.Int("version") == 4 && r.Int("position") > 0 && r.Header.Get("ETag") == `"4"`,
		`version 4 (the last of the two new events), a position, ETag "4"`, r.Describe())
	acc := api.Get("/accounts/" + id)
	c.Status(acc, http.StatusOK)
	c.That(acc.Int("balance") == 0 && acc.String("status") == "closed" && acc.Int("version") == 4, "balance 0, closed, version 4", acc.Describe())

	events := c.Stream(api, id)
	c.Equal(4, len(events), "events in the stream")
	paid, closed := events[2], events[3]
	c.That(paid.Type == "MoneyWithdrawn" && paid.Data["amount"] == float64(500) && paid.Data["reference"] == bank.PayoutReference && closed.Type == "AccountClosed",
		fmt.Sprintf(`version 3 MoneyWithdrawn 500 %q, version 4 AccountClosed`, bank.PayoutReference),
		fmt.Sprintf("version 3 %s %v, version 4 %s", paid.Type, paid.Data, closed.Type))
	c.That(closed.Position == paid.Position+1 && paid.Metadata.CausationID == closed.Metadata.CausationID &&
		paid.Metadata.CausationID != events[1].Metadata.CausationID && closed.Metadata.CorrelationID == "closing-1",
		"one command: consecutive positions, the same causation id (the close's, not the deposit's), correlation id closing-1",
		fmt.Sprintf("positions %d and %d, causation ids %q and %q (the deposit's: %q), correlation id %q",
			paid.Position, closed.Position, paid.Metadata.CausationID, closed.Metadata.CausationID, events[1].Metadata.CausationID, closed.Metadata.CorrelationID))
}

func Test3_5_APayoutThatCannotBeSavedWholeSavesNothing(t *testing.T) {
	c := spec.For(t, stage)
	api, db := newAPI(t)
	id := openWith500(c, api)
	_, err := db.Write.Exec(`CREATE TRIGGER no_closing BEFORE INSERT ON events WHEN NEW.event_type = 'AccountClosed'
		BEGIN SELECT RAISE(ABORT, 'disk full (injected by the test)'); END`)
	c.NoError(err, "making the store refuse AccountClosed (test setup)")
	c.Doing(`close with {"payout":true} while the store refuses to store AccountClosed`)
	r := closePayout(api, id)
	c.NoStub(r)
	c.That(r.Status == http.StatusInternalServerError, "500: the store failed, and the answer says so", r.Describe())
	events := c.Stream(api, id)
	c.That(len(events) == 2, "the stream as it was, 2 events: the payout was not stored without the closing",
		fmt.Sprintf("%d events, the last %s\n(two commands, a withdrawal saved and then a close that fails, would leave the money paid out of an open account:"+
			" record both events in one decision, so that the repository saves them in one append)", len(events), events[len(events)-1].Type))
	_, err = db.Write.Exec(`DROP TRIGGER no_closing`)
	c.NoError(err, "letting the store work again (test setup)")
	c.Doing(`close with {"payout":true} once the store works again`)
	c.Status(closePayout(api, id), http.StatusOK)
}

func Test3_5_APayoutPaysTheBalanceThatWon(t *testing.T) {
	c := spec.For(t, stage)
	api, db := newAPI(t)
	id := openWith500(c, api)
	c.Doing(`a deposit of 300 and a close with {"payout":true}, both decided on the balance of 500 before either is saved`)
	answers := api.CollideAll(t, db, []spec.Post{
		{Path: "/accounts/" + id + "/deposits", Body: map[string]any{"amount": 300}},
		{Path: "/accounts/" + id + "/close", Body: map[string]any{"payout": true}},
	})
	c.NoStub(answers[1])
	deposited, closed := answers[0], answers[1]
	c.Status(closed, http.StatusOK)
	c.That(deposited.Status == http.StatusOK || deposited.Status == http.StatusUnprocessableEntity,
		"the deposit accepted (it came first), or refused (422: the account was closed first)", deposited.Describe())
	want := int64(500)
	if deposited.Status == http.StatusOK {
		want = 800
	}
	events := c.Stream(api, id)
	var paid []string
	for _, e := range events {
		if e.Data["reference"] == bank.PayoutReference {
			paid = append(paid, fmt.Sprint(e.Data["amount"]))
		}
	}
	acc := api.Get("/accounts/" + id)
	c.That(len(paid) == 1 && paid[0] == fmt.Sprint(want) && acc.Int("balance") == 0 && acc.String("status") == "closed",
		fmt.Sprintf("one payout of %d (the deposit answered %d), then balance 0 and closed: the payout is decided on the state that won", want, deposited.Status),
		fmt.Sprintf("payouts %v; %s", paid, acc.Describe()))

	c.Doing(`5 closes with {"payout":true} of another account holding 500, all decided before any is saved`)
	other := openWith500(c, api)
	statuses := api.Collide(t, db, 5, "/accounts/"+other+"/close", map[string]any{"payout": true})
	c.That(statuses.N(200) == 1 && statuses.N(422) == 4, "1 × 200 and 4 × 422: the money is paid out once, the account closed once", statuses.String())
	c.Equal(4, len(c.Stream(api, other)), "events in its stream (opened, deposited, paid out, closed)")
}

func Test3_5_ARefusedPayoutWritesNothing(t *testing.T) {
	c := spec.For(t, stage)
	api, db := newAPI(t)
	overdrawn := c.OpenAccount(api, "checking", 10000)
	c.Doing("withdraw 300 from a new checking account (setup for this test)")
	c.Status(api.Post("/accounts/"+overdrawn+"/withdrawals", map[string]any{"amount": 300}), http.StatusOK)
	rich := openWith500(c, api)
	count := func() int {
		var n int
		c.NoError(db.Read.QueryRow(`SELECT COUNT(*) FROM events`).Scan(&n), "counting events")
		return n
	}
	for _, tc := range []struct {
		name    string
		id      string
		headers []string
		status  int
		detail  string
	}{
		{"an account at -300", overdrawn, nil, 422, "overdrawn"},
		{`an account at version 2, with If-Match: "1"`, rich, []string{"If-Match", `"1"`}, 412, "stale version"},
		{"an account that does not exist", "0190c6a8-0000-7000-8000-000000000404", nil, 404, "not found"},
	} {
		c.Doing(`close with {"payout":true}: %s`, tc.name)
		before := count()
		r := closePayout(api, tc.id, tc.headers...)
		c.Status(r, tc.status)
		c.That(strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") && strings.Contains(strings.ToLower(r.String("detail")), tc.detail),
			fmt.Sprintf("a problem+json whose detail says %q", tc.detail), r.Describe())
		c.Equal(before, count(), "events stored (a refusal writes nothing)")
	}
	c.Doing(`close with {"payout":false}: an ordinary close, refused for a balance of 500`)
	r := api.Post("/accounts/"+rich+"/close", map[string]any{"payout": false})
	c.Status(r, http.StatusUnprocessableEntity)
	c.That(strings.Contains(r.String("detail"), "zero balance"), `a problem whose detail says "zero balance"`, r.Describe())
}

func TestGuard_CloseTakesNoBodyOrAPayoutFlag(t *testing.T) {
	c := spec.For(t, stage)
	api, db := newAPI(t)
	path := "/accounts/" + adaID + "/close"
	bad := func(name, body string) spec.BadRequest {
		return spec.BadRequest{Name: name, Method: "POST", Path: path, ContentType: "application/json", Body: body, Want: http.StatusBadRequest}
	}
	for _, b := range []spec.BadRequest{
		bad("payout as a string", `{"payout":"yes"}`),
		bad("payout as a number", `{"payout":1}`),
		bad("payout in the wrong case", `{"Payout":true}`),
		bad("payout twice", `{"payout":true,"payout":false}`),
		bad("payout and a field close does not take", `{"payout":true,"amount":5}`),
		bad("malformed JSON", `{"payout":`),
		bad("not an object", `[true]`),
		{Name: "payout as text/plain", Method: "POST", Path: path, ContentType: "text/plain", Body: `{"payout":true}`, Want: http.StatusUnsupportedMediaType},
		{Name: "payout with a malformed If-Match", Method: "POST", Path: path, ContentType: "application/json", Body: `{"payout":true}`,
			Headers: []string{"If-Match", "1"}, Want: http.StatusBadRequest},
	} {
		c.CheckRefused(b, api.Send(b))
	}
	var n int
	c.NoError(db.Read.QueryRow(`SELECT COUNT(*) FROM events`).Scan(&n), "counting events")
	c.Equal(0, n, "events stored")
}
