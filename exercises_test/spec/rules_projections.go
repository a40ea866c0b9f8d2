package spec

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// projectionRules are the rules of stage 6, kept by every stage after it: the
// statement service counts each message once and parks what it cannot apply,
// and a rebuilt read model answers as the live one did.
func projectionRules() []Rule {
	return []Rule{
		{"a message delivered twice to the statement service counts once", 6, "statements", func(c *Check, b *Bank) {
			id := b.Open(c, ada("savings", 0))
			b.Command(c, 200, "", "/accounts/"+id+"/deposits", money(500))
			c.Doing("wait until the relay has delivered the deposit to the statement service")
			b.waitStatement(c, id, func(r Response) bool { return r.Int("deposits") == 1 })
			deposit := statementMessage(id, "d-1", "bank.account.v1.MoneyDeposited", 40, "EUR")
			for i, want := range []string{"applied", "duplicate", "duplicate"} {
				c.Doing("POST /statements/messages: a deposit of 40, delivery %d", i+1)
				r := b.Post("/statements/messages", deposit)
				c.Status(r, http.StatusOK)
				c.Equal(want, r.String("outcome"), "the outcome")
			}
			r := b.Get("/statements/" + id)
			c.That(r.Int("balance") == 540 && r.Int("deposits") == 2, "a balance of 540 from two deposits", r.Describe())
		}},
		{"a poison message is parked with its reason and the statement service goes on", 6, "statements", func(c *Check, b *Bank) {
			id := b.Open(c, ada("savings", 0))
			b.waitStatement(c, id, func(r Response) bool { return r.Status == http.StatusOK })
			c.Doing("POST /statements/messages: a deposit in JPY into a EUR account, then one in EUR")
			r := b.Post("/statements/messages", statementMessage(id, "p-1", "bank.account.v1.MoneyDeposited", 40, "JPY"))
			c.Status(r, http.StatusOK)
			c.Equal("parked", r.String("outcome"), "the outcome of the deposit in JPY")
			r = b.Post("/statements/messages", statementMessage(id, "p-2", "bank.account.v1.MoneyDeposited", 7, "EUR"))
			c.Equal("applied", r.String("outcome"), "the outcome of the deposit in EUR")
			c.Equal(int64(7), b.Get("/statements/"+id).Int("balance"), "the balance")
			r = b.Get("/dead-letters")
			c.That(strings.Contains(string(r.Body), `"message_id":"p-1"`) && strings.Contains(string(r.Body), "JPY"), "GET /dead-letters listing p-1 with its reason", r.Describe())
			c.Doing("POST /statements/messages with a body that is not a message")
			c.Status(b.Post("/statements/messages", `{"message_id":"","type":"x","data":{}}`), http.StatusBadRequest)
		}},
		{"a rebuilt read model answers as the live one did", 6, "rebuild", func(c *Check, b *Bank) {
			id := b.Open(c, ada("checking", 1000))
			b.Command(c, 200, "", "/accounts/"+id+"/deposits", money(500))
			pos := b.Command(c, 200, "", "/accounts/"+id+"/withdrawals", money(800)).Int("position")
			paths := []string{fmt.Sprintf("/accounts/%s/transactions?min_position=%d", id, pos), fmt.Sprintf("/accounts?owner=Ada%%20Lovelace&min_position=%d", pos)}
			var before []string
			for _, p := range paths {
				r := b.Get(p)
				c.Status(r, http.StatusOK)
				before = append(before, string(r.Body))
			}
			for _, name := range []string{"account_transactions", "accounts_by_owner", "daily_totals"} {
				c.Doing("POST /projections/%s/rebuild, and wait for the switch", name)
				c.Status(b.Post("/projections/"+name+"/rebuild", nil), http.StatusAccepted)
				b.waitRebuilt(c, name)
			}
			for i, p := range paths {
				c.Doing("GET %s after the rebuilds", p)
				c.Equal(before[i], string(b.Get(p).Body), "the answer (as before the rebuilds)")
			}
		}},
	}
}

// statementMessage is a money message of the contract, as JSON.
func statementMessage(account, id, typ string, amount int64, currency string) string {
	data, _ := json.Marshal(map[string]any{"message_id": id, "type": typ, "subject": account, "occurred_at": "2024-05-01T10:00:00Z",
		"correlation_id": "", "data": map[string]any{"account_id": account, "amount": amount, "currency": currency}})
	return string(data)
}

// waitStatement waits until GET /statements/{id} answers as ready says.
func (b *Bank) waitStatement(c *Check, id string, ready func(Response) bool) {
	c.t.Helper()
	for deadline := time.Now().Add(CallTimeout); ; time.Sleep(5 * time.Millisecond) { // polling, bounded
		r := b.Get("/statements/" + id)
		if ready(r) {
			return
		}
		c.NoStub(r)
		if time.Now().After(deadline) {
			c.Fail("the statement service showing the account within "+CallTimeout.String(), r.Describe())
		}
	}
}

// waitRebuilt waits until GET /projections shows no rebuild of name in progress.
func (b *Bank) waitRebuilt(c *Check, name string) {
	c.t.Helper()
	for deadline := time.Now().Add(CallTimeout); ; time.Sleep(5 * time.Millisecond) { // polling, bounded
		r := b.Get("/projections")
		var body struct {
			Projections []struct {
				Name, Status string
				Rebuild      *struct{}
			}
		}
		c.NoError(r.Decode(&body), "decoding GET /projections")
		for _, p := range body.Projections {
			if p.Name == name && p.Rebuild == nil && p.Status == "running" {
				return
			}
		}
		if time.Now().After(deadline) {
			c.Fail(name+" rebuilt within "+CallTimeout.String(), r.Describe())
		}
	}
}
