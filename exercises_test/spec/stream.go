package spec

import (
	"fmt"
	"net/http"
	"strings"
)

// StoredEvent is an event as GET /accounts/{id}/events shows it (stage 2 on).
type StoredEvent struct {
	Type     string         `json:"type"`
	Version  int64          `json:"version"`
	Position int64          `json:"position"`
	Data     map[string]any `json:"data"`
	Metadata struct {
		CorrelationID string `json:"correlation_id"`
		CausationID   string `json:"causation_id"`
		UserID        string `json:"user_id"`
	} `json:"metadata"`
}

// Stream reads an account's events over the API.
func (c *Check) Stream(api *API, id string) []StoredEvent {
	c.t.Helper()
	r := api.Get("/accounts/" + id + "/events")
	c.Status(r, http.StatusOK)
	var body struct{ Events []StoredEvent }
	c.NoError(r.Decode(&body), "decoding the events")
	return body.Events
}

// describeMoves prints the money events of a stream, one a line: v2 MoneyDeposited 5000 "salary March".
func describeMoves(events []StoredEvent) string {
	var lines []string
	for _, e := range events {
		if e.Type != "MoneyDeposited" && e.Type != "MoneyWithdrawn" {
			continue
		}
		reference, _ := e.Data["reference"].(string)
		lines = append(lines, fmt.Sprintf("v%d %s %v %q", e.Version, e.Type, e.Data["amount"], reference))
	}
	if len(lines) == 0 {
		return "(no deposits or withdrawals)"
	}
	return strings.Join(lines, "\n")
}

// CheckTheStreamSaysWhy tells the story of Ada's balance over the API of an open
// checking account: a salary in, rent and groceries out, each with its reference.
// The balance ends at 40 and GET /accounts/{id}/events must show every reference
// in its event. A reference that is too long, or holds a control character, is a
// 400 that names the field and writes nothing; 140 characters are fine.
func (c *Check) CheckTheStreamSaysWhy(api *API, id string) {
	c.t.Helper()
	moves := []struct {
		path      string
		amount    int64
		reference string
	}{
		{"deposits", 5000, "salary March"},
		{"withdrawals", 3000, "rent"},
		{"withdrawals", 1960, "groceries"},
	}
	var want []string
	for i, m := range moves {
		c.Doing(`POST /accounts/{id}/%s {"amount":%d,"reference":%q}`, m.path, m.amount, m.reference)
		c.Status(api.Post("/accounts/"+id+"/"+m.path, map[string]any{"amount": m.amount, "reference": m.reference}), http.StatusOK)
		typ := map[string]string{"deposits": "MoneyDeposited", "withdrawals": "MoneyWithdrawn"}[m.path]
		want = append(want, fmt.Sprintf("v%d %s %d %q", i+2, typ, m.amount, m.reference))
	}
	c.Doing("GET /accounts/{id}/events: why is the balance 40?")
	got := describeMoves(c.Stream(api, id))
	c.That(got == strings.Join(want, "\n"), "the deposits and withdrawals, each with its reference:\n"+strings.Join(want, "\n"), got)

	for _, bad := range []struct{ name, reference string }{
		{"141 characters", strings.Repeat("ü", 141)},
		{"a control character", "rent\nMarch"},
	} {
		c.Doing("deposit 100 with a reference of %s", bad.name)
		r := api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 100, "reference": bad.reference})
		c.Status(r, http.StatusBadRequest)
		c.That(strings.Contains(r.String("detail"), "reference"), "a problem whose detail names the field reference", r.Describe())
	}
	c.Doing("read the account after the refused deposits")
	r := api.Get("/accounts/" + id)
	c.That(r.Int("balance") == 40 && r.Int("version") == 4, "balance 40 at version 4: the refused deposits wrote nothing", r.Describe())

	longest := strings.Repeat("ü", 140)
	c.Doing("deposit 1 with a reference of 140 characters, the longest allowed")
	c.Status(api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 1, "reference": longest}), http.StatusOK)
	events := c.Stream(api, id)
	c.Equal(5, len(events), "events in the stream")
	stored, _ := events[4].Data["reference"].(string)
	c.That(stored == longest, "the reference stored exactly as it was sent", fmt.Sprintf("reference %q", stored))
}
