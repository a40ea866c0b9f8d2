package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

// make demo-duplicate: stage 6's statement service records each message id in
// the transaction of the change the message makes, so a copy changes nothing.
// The demo delivers to its webhook (POST /statements/messages) the relay's own
// message for Ada's salary again, as a relay does after a crash, and then a
// new message twice; the statement after each delivery shows what it did.

// statement is GET /statements/{id}, in the fields the demo shows.
type statement struct {
	Balance  int64 `json:"balance"`
	Deposits int64 `json:"deposits"`
	Lines    []struct {
		MessageID string `json:"message_id"`
	} `json:"lines"`
}

// integrationMessage is a message of the bank's contract (bank.account.v1.*),
// its fields in the order the relay sends them.
type integrationMessage struct {
	ID            string         `json:"message_id"`
	Type          string         `json:"type"`
	Subject       string         `json:"subject"`
	OccurredAt    time.Time      `json:"occurred_at"`
	CorrelationID string         `json:"correlation_id"`
	Data          map[string]any `json:"data"`
}

func demoDuplicate(d *demo) (string, error) {
	srv, err := d.server("", d.freshDB())
	if err != nil {
		return "", err
	}
	d.step("Stage 6: Ada's salary of 5000. The relay delivers its message to the statement service in the server.",
		"The statement service is another service in miniature: it keeps a balance from the bank's messages.")
	var acc struct {
		ID string `json:"id"`
	}
	open := map[string]any{"owner": "Ada Lovelace", "kind": "checking", "currency": "EUR", "overdraft_limit": 10000}
	if _, err := srv.want(http.StatusCreated, http.MethodPost, "/accounts", open, &acc); err != nil {
		return "", err
	}
	if _, err := srv.want(http.StatusOK, http.MethodPost, "/accounts/"+acc.ID+"/deposits", map[string]any{"amount": 5000, "reference": "salary March"}, nil); err != nil {
		return "", err
	}
	before, raw, err := awaitStatement(srv, acc.ID, 5000)
	if err != nil {
		return "", err
	}
	d.note("GET /statements/{id}:")
	d.json(raw)

	salary, err := relayedMessage(srv.db, acc.ID, "bank.account.v1.MoneyDeposited")
	if err != nil {
		return "", err
	}
	refund := integrationMessage{ID: "demo-refund-1", Type: "bank.account.v1.MoneyDeposited", Subject: acc.ID,
		OccurredAt: time.Now().UTC().Truncate(time.Second), CorrelationID: "demo",
		Data: map[string]any{"account_id": acc.ID, "amount": 100, "currency": "EUR"}}
	d.step("Deliver the relay's salary message again, by hand, to the webhook POST /statements/messages; then a new message, twice.",
		"After a crash between publish and mark, the relay sends a message again: this is that copy.")
	d.note("the new message:")
	d.json(refund)
	deliveries := []struct {
		what string
		body any
	}{
		{"the salary's message again", salary},
		{"a new message (refund)", refund},
		{"the same new message again", refund},
	}
	t := newTable("delivery", "message_id", "outcome", "balance", "deposits")
	t.add("by the relay, earlier", short(before.Lines[0].MessageID), "applied", before.Balance, before.Deposits)
	var outcomes []string
	var after statement
	for _, dl := range deliveries {
		var answer struct {
			MessageID string `json:"message_id"`
			Outcome   string `json:"outcome"`
		}
		if _, err := srv.want(http.StatusOK, http.MethodPost, "/statements/messages", dl.body, &answer); err != nil {
			return "", err
		}
		if _, err := srv.get("/statements/"+acc.ID, &after); err != nil {
			return "", err
		}
		outcomes = append(outcomes, answer.Outcome)
		t.add(dl.what, short(answer.MessageID), answer.Outcome, after.Balance, after.Deposits)
	}
	d.step("What each delivery did to the statement:",
		"A copy finds its id in processed_messages, in the same transaction as the change it would make: it changes nothing.")
	d.table(t)
	if fmt.Sprint(outcomes) != "[duplicate applied duplicate]" || after.Balance != 5100 || after.Deposits != 2 {
		return "", notShown("outcomes %v, balance %d from %d deposits (want duplicate, applied, duplicate; 5100 from 2)", outcomes, after.Balance, after.Deposits)
	}
	return fmt.Sprintf("duplicates change nothing: the salary's message delivered again was a duplicate (balance stayed %d), "+
		"a new message applied once (%d) and its copy a duplicate (still %d, %d deposits, not %d)",
		before.Balance, after.Balance, after.Balance, after.Deposits, after.Balance+100), nil
}

// awaitStatement waits (at most 10 s) until the statement service shows the
// balance want for account id.
func awaitStatement(srv *demoServer, id string, want int64) (statement, []byte, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		var st statement
		status, raw, err := srv.call(http.MethodGet, "/statements/"+id, nil)
		if err == nil && status == http.StatusOK && json.Unmarshal(raw, &st) == nil && st.Balance == want && len(st.Lines) > 0 {
			return st, raw, nil
		}
		if time.Now().After(deadline) {
			return st, raw, notShown("the statement service does not show a balance of %d within 10 s: %d %s", want, status, raw)
		}
		time.Sleep(50 * time.Millisecond) // the relay delivers asynchronously; bounded above
	}
}

// relayedMessage is the message the relay sent for the account's first event
// of type typ, as the outbox keeps it (the exact JSON it POSTs).
func relayedMessage(db, subject, typ string) (json.RawMessage, error) {
	store, err := sqlitedb.Open(db)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	var payload string
	err = store.Read.QueryRow(`SELECT payload FROM outbox WHERE subject = ? AND type = ? ORDER BY id LIMIT 1`, subject, typ).Scan(&payload)
	if err != nil {
		return nil, fmt.Errorf("the relay's %s message for %s in the outbox: %w", typ, subject, err)
	}
	return json.RawMessage(payload), nil
}
