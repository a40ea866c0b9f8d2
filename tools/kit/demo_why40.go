package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// make demo-why-40: stage 1 could say that Ada has 40, never why. Stage 2 keeps
// every change as an event with its reason (the reference the client gave), so
// the answer is her stream: the balance is the sum of the events, and each one
// says what it was for.

// why40Payments are the story: 5000 in, 3000 and 1960 out.
var why40Payments = []struct {
	kind      string
	amount    int64
	reference string
}{
	{"deposits", 5000, "salary March"},
	{"withdrawals", 3000, "rent"},
	{"withdrawals", 1960, "groceries"},
}

func demoWhy40(d *demo) (string, error) {
	srv, err := d.server("", d.freshDB())
	if err != nil {
		return "", err
	}
	d.step("Ada opens a checking account and moves money, each payment with its reason (a reference).",
		"The client says why it pays; stage 2 keeps that inside the event, beside the amount.")
	var acc struct {
		ID      string `json:"id"`
		Balance int64  `json:"balance"`
	}
	headers := []string{"X-User-ID", "ada", "X-Correlation-ID", "ada-banking-app"}
	open := map[string]any{"owner": "Ada Lovelace", "kind": "checking", "currency": "EUR", "overdraft_limit": 10000}
	if _, err := srv.want(http.StatusCreated, http.MethodPost, "/accounts", open, &acc, headers...); err != nil {
		return "", err
	}
	for _, p := range why40Payments {
		body := map[string]any{"amount": p.amount, "reference": p.reference}
		if _, err := srv.want(http.StatusOK, http.MethodPost, "/accounts/"+acc.ID+"/"+p.kind, body, nil, headers...); err != nil {
			return "", err
		}
		d.note("POST /accounts/{id}/%-11s %5d  %q", p.kind, p.amount, p.reference)
	}

	d.step("GET /accounts/{id}: the balance is 40.",
		"This is all stage 1 could say. An auditor asks: why 40?")
	raw, err := srv.get("/accounts/"+acc.ID, &acc)
	if err != nil {
		return "", err
	}
	d.json(raw)

	d.step("GET /accounts/{id}/events: her stream, oldest first.",
		"The balance is not stored anywhere: it is the sum of these facts, and each one says why.")
	events, _, err := readStream(srv, acc.ID)
	if err != nil {
		return "", err
	}
	d.table(eventTable(events))

	d.step("One event in full: the fact (data) in its envelope, with the metadata of the request that caused it.",
		"The reference is the business reason; the correlation id is a technical trace of the conversation.")
	if len(events) > 0 {
		var all struct {
			Events []json.RawMessage `json:"events"` // as the server wrote them, in its order
		}
		if _, err := srv.get("/accounts/"+acc.ID+"/events", &all); err != nil {
			return "", err
		}
		d.json([]byte(all.Events[len(all.Events)-1]))
	}
	return why40Verdict(acc.Balance, events)
}

// why40Verdict checks that the stream explains the balance: its movements add
// up to it, and every payment carries its reference.
func why40Verdict(balance int64, events []streamEvent) (string, error) {
	var sum int64
	var parts []string
	for _, e := range events {
		if m := e.movement(); m != 0 {
			sum += m
			if e.Data.Reference == "" {
				return "", notShown("event %d (%s %d) has no reference", e.Version, e.Type, e.Data.Amount)
			}
			parts = append(parts, fmt.Sprintf("%s %q", signed(m), e.Data.Reference))
		}
	}
	if balance != 40 || sum != balance || len(parts) != len(why40Payments) {
		return "", notShown("balance %d, the events add up to %d in %d payments", balance, sum, len(parts))
	}
	return fmt.Sprintf("the balance is %d because of %d events: %s; the stream says why, event by event",
		balance, len(events), strings.Join(parts, ", ")), nil
}
