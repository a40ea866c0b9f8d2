package production_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/exercise"
	bank "github.com/go-es-workshop/kit/stages/08-production"
	"github.com/google/uuid"
)

// envelopes wraps events as an append of account id would store them: versions
// and positions from 1, one correlation id, recorded at the given time.
func envelopes(id uuid.UUID, when time.Time, events ...bank.Event) []bank.Envelope {
	out := make([]bank.Envelope, len(events))
	for i, e := range events {
		out[i] = bank.Envelope{EventID: uuid.Must(uuid.NewV7()).String(), StreamID: bank.StreamID(id.String()), Version: int64(i + 1),
			Position: int64(i + 1), Type: strings.TrimPrefix(fmt.Sprintf("%T", e), "bank."), SchemaVersion: 1, RecordedAt: when,
			Metadata: bank.Metadata{CorrelationID: "corr-1", CausationID: "cmd-1", UserID: "ada"}, Event: e}
	}
	return out
}

// account is the view of Ada's account the mapping is given (its currency is EUR).
func account(id uuid.UUID, currency string) bank.AccountView {
	return bank.AccountView{ID: id, Owner: "Ada Lovelace", Kind: bank.Checking, Currency: currency, Balance: 40, OverdraftLimit: 10000, Status: bank.StatusOpen, Version: 4}
}

// announced maps stored events to the messages that announce them.
func announced(c *spec.Check, view bank.AccountView, stored []bank.Envelope) []bank.IntegrationMessage {
	messages, err := bank.IntegrationEvents(view)(stored)
	c.NoError(err, "IntegrationEvents")
	return messages
}

// message is what a message should be, written out: its type and its data as JSON.
type message struct{ Type, Data string }

func (m message) String() string { return m.Type + " " + m.Data }

func checkMessages(c *spec.Check, given []bank.Envelope, got []bank.IntegrationMessage, want ...message) {
	var g, w []string
	for _, m := range got {
		g = append(g, message{m.Type, string(m.Data)}.String())
	}
	for _, m := range want {
		w = append(w, m.String())
	}
	var events []string
	for _, e := range given {
		events = append(events, fmt.Sprintf("%s%+v", e.Type, e.Event))
	}
	c.That(strings.Join(g, "\n") == strings.Join(w, "\n"),
		"Given the events:\n"+strings.Join(events, "\n")+"\nthe messages (type and data, exactly):\n"+strings.Join(w, "\n"),
		strings.Join(g, "\n")+"\n(no more fields than the contract has: what is published, others come to rely on)")
}

func TestGuard_EachEventIsAnnouncedByItsIntegrationEvent(t *testing.T) {
	c := spec.Guard(t, stage, "integration_events.go", "each event is announced by its integration event")
	c.Doing("map an account's events to its integration events")
	stored := envelopes(ada, at(1, 0),
		bank.AccountOpened{AccountID: adaID, Holder: bank.Holder{LegalName: "Ada Lovelace", Type: bank.Person}, Kind: bank.Checking, Currency: "EUR", OverdraftLimit: 10000},
		bank.MoneyDeposited{Amount: 5000, Reference: "salary March"},
		bank.MoneyWithdrawn{Amount: 3000, Reference: "rent"},
		bank.MoneyWithdrawn{Amount: 2000},
		bank.AccountClosed{})
	checkMessages(c, stored, announced(c, account(ada, "EUR"), stored),
		message{"bank.account.v1.AccountOpened", `{"account_id":"` + adaID + `","kind":"checking","currency":"EUR"}`},
		message{"bank.account.v1.MoneyDeposited", moneyData(adaID, 5000, "EUR")},
		message{"bank.account.v1.MoneyWithdrawn", moneyData(adaID, 3000, "EUR")},
		message{"bank.account.v1.MoneyWithdrawn", moneyData(adaID, 2000, "EUR")},
		message{"bank.account.v1.AccountClosed", `{"account_id":"` + adaID + `"}`})
}

func TestGuard_MoneyIsAnnouncedInTheAccountsCurrency(t *testing.T) {
	c := spec.Guard(t, stage, "integration_events.go", "money is announced in the accounts currency")
	c.Doing("map Bob's deposit and withdrawal: his account is in GBP (the events do not carry it)")
	stored := envelopes(bob, at(1, 0), bank.MoneyDeposited{Amount: 7}, bank.MoneyWithdrawn{Amount: 2, Reference: "tea"})
	checkMessages(c, stored, announced(c, account(bob, "GBP"), stored),
		message{"bank.account.v1.MoneyDeposited", moneyData(bob.String(), 7, "GBP")},
		message{"bank.account.v1.MoneyWithdrawn", moneyData(bob.String(), 2, "GBP")})
	c.Doing("map a savings account's opening in SEK")
	stored = envelopes(bob, at(1, 0), bank.AccountOpened{AccountID: bob.String(), Holder: bank.Holder{LegalName: "Bob", Type: bank.Person}, Kind: bank.Savings, Currency: "SEK"})
	checkMessages(c, stored, announced(c, account(bob, "SEK"), stored),
		message{"bank.account.v1.AccountOpened", `{"account_id":"` + bob.String() + `","kind":"savings","currency":"SEK"}`})
}

func TestGuard_AMigratedBalanceIsNotAnnounced(t *testing.T) {
	c := spec.Guard(t, stage, "integration_events.go", "A migrated balance is not announced")
	c.Doing("map a migrated opening balance (a fact of the migration, news to no one) between two deposits")
	stored := envelopes(ada, at(1, 0), bank.MoneyDeposited{Amount: 1}, bank.OpeningBalanceMigrated{Balance: 500, Source: "legacy"}, bank.MoneyDeposited{Amount: 2})
	checkMessages(c, stored, announced(c, account(ada, "EUR"), stored),
		message{"bank.account.v1.MoneyDeposited", moneyData(adaID, 1, "EUR")},
		message{"bank.account.v1.MoneyDeposited", moneyData(adaID, 2, "EUR")})
}

func TestGuard_TheEnvelopeNamesTheAccountTheTimeAndTheConversation(t *testing.T) {
	c := spec.Guard(t, stage, "integration_events.go", "the envelope names the account the time and the conversation")
	plusOne := at(1, 0).In(time.FixedZone("UTC+1", 3600))
	stored := envelopes(ada, plusOne, bank.MoneyDeposited{Amount: 5}, bank.MoneyWithdrawn{Amount: 5})
	c.Doing("map a deposit and a withdrawal recorded at 11:00 in UTC+1, correlation id corr-1")
	got := announced(c, account(ada, "EUR"), stored)
	c.Equal(2, len(got), "messages")
	for i, m := range got {
		c.Equal(adaID, m.Subject, "the subject (the account: one account's messages arrive in order)")
		c.That(m.OccurredAt.Equal(at(1, 0)) && m.OccurredAt.Location() == time.UTC, "occurred_at 2024-05-01T10:00:00Z, in UTC", m.OccurredAt.String())
		c.Equal("corr-1", m.CorrelationID, "the correlation id")
		_, err := uuid.Parse(m.ID)
		c.That(err == nil && m.ID != stored[i].EventID, "a message id of its own (a UUID)", m.ID)
	}
	c.That(got[0].ID != got[1].ID, "two messages, two ids", got[0].ID)
	c.Doing("map the same events again (a message's id must not change: consumers drop copies by it)")
	again := announced(c, account(ada, "EUR"), stored)
	c.That(again[0].ID == got[0].ID && again[1].ID == got[1].ID, "the same ids", fmt.Sprintf("%s, %s then %s, %s", got[0].ID, got[1].ID, again[0].ID, again[1].ID))
	raw, err := json.Marshal(got[0])
	c.NoError(err, "encoding a message")
	for _, field := range []string{`"message_id"`, `"type"`, `"subject"`, `"occurred_at"`, `"correlation_id"`, `"data"`} {
		c.That(strings.Contains(string(raw), field), "a message with the field "+field, string(raw))
	}
}

func TestGuard_AnEventWhoseIdIsNotAUUIDCannotBeAnnounced(t *testing.T) {
	c := spec.Guard(t, stage, "integration_events.go", "an event whose id is not AUUID cannot be announced")
	stored := envelopes(ada, at(1, 0), bank.MoneyDeposited{Amount: 5})
	stored[0].EventID = "not-a-uuid"
	c.Doing("map a deposit whose event id is %q", stored[0].EventID)
	messages, err := bank.IntegrationEvents(account(ada, "EUR"))(stored)
	if todo, ok := exercise.IsTodo(err); ok {
		c.NoError(todo, "IntegrationEvents")
	}
	c.That(err != nil && len(messages) == 0, "an error, and no message (a message id is derived from its event's id)", fmt.Sprintf("%d messages, error %v", len(messages), err))
}
