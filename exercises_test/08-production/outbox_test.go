package production_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

func TestGuard_EveryCommandWritesItsMessagesToTheOutbox(t *testing.T) {
	c := spec.Guard(t, stage, "outbox.go", "every command writes its messages to the outbox")
	api, db := newAPI(t)
	id := c.OpenAccount(api, "checking", 10000)
	c.Doing("deposit 5000 (reference salary March), withdraw 3000 (rent), withdraw 2000, close")
	c.Status(api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 5000, "reference": "salary March"}), http.StatusOK)
	c.Status(api.Post("/accounts/"+id+"/withdrawals", map[string]any{"amount": 3000, "reference": "rent"}), http.StatusOK)
	c.Status(api.Post("/accounts/"+id+"/withdrawals", map[string]any{"amount": 2000}), http.StatusOK)
	c.Status(api.Post("/accounts/"+id+"/close", nil), http.StatusOK)
	rows := outboxRows(c, db)
	want := []message{
		{"bank.account.v1.AccountOpened", `{"account_id":"` + id + `","kind":"checking","currency":"EUR"}`},
		{"bank.account.v1.MoneyDeposited", moneyData(id, 5000, "EUR")},
		{"bank.account.v1.MoneyWithdrawn", moneyData(id, 3000, "EUR")},
		{"bank.account.v1.MoneyWithdrawn", moneyData(id, 2000, "EUR")},
		{"bank.account.v1.AccountClosed", `{"account_id":"` + id + `"}`},
	}
	ok := len(rows) == len(want)
	for i := range rows {
		ok = ok && i < len(want) && rows[i].Type == want[i].Type && rows[i].Data == want[i].Data && rows[i].Subject == id
	}
	c.That(ok, "the outbox table holds one message per event, in order:\n"+describeWant(want), describeRows(rows))
}

func describeWant(want []message) string {
	s := ""
	for _, m := range want {
		s += m.String() + "\n"
	}
	return s
}

func TestGuard_EventsAndMessagesAreStoredTogetherOrNotAtAll(t *testing.T) {
	c := spec.Guard(t, stage, "outbox.go", "events and messages are stored together or not at all")
	api, db := newAPI(t)
	id := c.OpenAccount(api, "savings", 0)
	execAll(c, db.Write, `CREATE TRIGGER outbox_full BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END`)
	c.Doing("deposit 500 while the outbox refuses every insert")
	c.Status(api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 500}), http.StatusInternalServerError)
	r := api.Get("/accounts/" + id)
	c.That(r.Int("balance") == 0 && r.Int("version") == 1,
		"balance 0 at version 1: without its message the deposit was not stored either (events and outbox in ONE transaction)", r.Describe())
	execAll(c, db.Write, `DROP TRIGGER outbox_full`)
	c.Doing("deposit 500 again, with the outbox working")
	c.Status(api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 500}), http.StatusOK)
	rows := outboxRows(c, db)
	c.That(len(rows) == 2 && rows[1].Data == moneyData(id, 500, "EUR"), "two messages: the opening and one deposit of 500", describeRows(rows))
}

func TestGuard_ACommandThatIsRefusedOrFailsAnnouncesNothing(t *testing.T) {
	c := spec.Guard(t, stage, "outbox.go", "A command that is refused or fails announces nothing")
	api, db := newAPI(t)
	id := c.OpenAccount(api, "savings", 0)
	c.Doing("withdraw 1 from an empty savings account (refused: 422)")
	c.Status(api.Post("/accounts/"+id+"/withdrawals", map[string]any{"amount": 1}), http.StatusUnprocessableEntity)
	c.Doing("deposit 5 with a stale If-Match (412)")
	c.Status(api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 5}, "If-Match", `"7"`), http.StatusPreconditionFailed)
	execAll(c, db.Write, `CREATE TRIGGER events_full BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full'); END`)
	c.Doing("deposit 5 while the events table refuses every insert (500)")
	c.Status(api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 5}), http.StatusInternalServerError)
	rows := outboxRows(c, db)
	c.That(len(rows) == 1, "one message, the opening's: a command that stored nothing announces nothing", describeRows(rows))
}

func TestGuard_ARepeatedCommandAnnouncesItsEventsOnce(t *testing.T) {
	c := spec.Guard(t, stage, "outbox.go", "A repeated command announces its events once")
	api, db := newAPI(t)
	id := c.OpenAccount(api, "savings", 0)
	for range 3 {
		c.Doing("deposit 500 with Idempotency-Key: pay-1 (three times)")
		c.Status(api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 500}, "Idempotency-Key", "pay-1"), http.StatusOK)
	}
	rows := outboxRows(c, db)
	c.That(len(rows) == 2, "two messages: the opening and ONE deposit (a repeat writes nothing, not even a message)", describeRows(rows))
}

// waitRows waits (at most spec.Patience, on the database) until cond holds for the outbox's rows.
func waitRows(c *spec.Check, s *server, what string, cond func([]row) bool) []row {
	deadline := time.Now().Add(spec.Patience)
	for {
		rows := outboxRows(c, s.db)
		if cond(rows) {
			return rows
		}
		stopIfTodo(c, s.relay)
		if time.Now().After(deadline) {
			state, err := s.relay.State()
			c.NoError(err, "the relay (its state is "+state+")")
			c.Fail(what+" within "+spec.Patience.String(), describeRows(rows))
		}
		time.Sleep(5 * time.Millisecond) // polling the database for a condition, bounded by the deadline
	}
}

func TestGuard_AnAppendWhoseMessagesCannotBeMadeStoresNothing(t *testing.T) {
	c := spec.Guard(t, stage, "outbox.go", "an append whose messages cannot be made stores nothing")
	db := spec.OpenDB(t)
	store, err := bank.NewEventStore(c.Ctx(), db, bank.NewRegistry())
	c.NoError(err, "NewEventStore")
	meta := bank.Metadata{CorrelationID: "c", CausationID: "c", UserID: "u"}
	deposit := bank.MoneyDeposited{Amount: 5}
	for _, bad := range []struct {
		name     string
		outgoing bank.Outgoing
	}{
		{"an Outgoing that fails", func([]bank.Envelope) ([]bank.IntegrationMessage, error) {
			return nil, errors.New("no contract for this")
		}},
		{"a message whose data is not JSON", func([]bank.Envelope) ([]bank.IntegrationMessage, error) {
			return []bank.IntegrationMessage{{ID: "m-1", Type: "t", Subject: adaID, OccurredAt: time.Now(), Data: json.RawMessage("{")}}, nil
		}},
	} {
		c.Doing("append a deposit with %s", bad.name)
		_, err := store.AppendOnce(c.Ctx(), nil, bad.outgoing, bank.StreamID(adaID), 0, meta, deposit)
		c.That(err != nil, "an error", "none")
		c.Equal(0, count(c, db, "events"), "events stored (without its messages, no event)")
		c.Equal(0, count(c, db, "outbox"), "messages stored")
	}
	c.Doing("append a deposit announced by a message that occurred at 11:00 in UTC+1")
	occurred := at(1, 0).In(time.FixedZone("UTC+1", 3600))
	_, err = store.AppendOnce(c.Ctx(), nil, func([]bank.Envelope) ([]bank.IntegrationMessage, error) {
		return []bank.IntegrationMessage{{ID: "m-2", Type: "t", Subject: adaID, OccurredAt: occurred, Data: json.RawMessage("{}")}}, nil
	}, bank.StreamID(adaID), 0, meta, deposit)
	c.NoError(err, "AppendOnce")
	var recorded string
	c.NoError(db.Read.QueryRow(`SELECT recorded_at FROM outbox`).Scan(&recorded), "reading the message")
	c.Equal("2024-05-01T10:00:00Z", recorded, "the message's recorded_at (in UTC)")
}

// Every command of this stage records one event, but an append may carry several
// (a transfer would): each stored event gets its message, in the events' order,
// and one message that cannot be written stores nothing of the append.
func TestGuard_EveryEventOfAnAppendIsAnnouncedInItsOrder(t *testing.T) {
	c := spec.Guard(t, stage, "outbox.go", "every event of an append is announced in its order")
	db := spec.OpenDB(t)
	store, err := bank.NewEventStore(c.Ctx(), db, bank.NewRegistry())
	c.NoError(err, "NewEventStore")
	meta := bank.Metadata{CorrelationID: "c", CausationID: "c", UserID: "u"}
	one := func(stored []bank.Envelope) ([]bank.IntegrationMessage, error) { // a message per event, named by its version
		var out []bank.IntegrationMessage
		for _, e := range stored {
			out = append(out, bank.IntegrationMessage{ID: fmt.Sprintf("m-%d", e.Version), Type: "bank.test.v1.Event", Subject: adaID,
				OccurredAt: e.RecordedAt, Data: json.RawMessage(fmt.Sprintf(`{"version":%d}`, e.Version))})
		}
		return out, nil
	}
	c.Doing("append 4 events in one AppendOnce, a message for each")
	_, err = store.AppendOnce(c.Ctx(), nil, one, bank.StreamID(adaID), 0, meta,
		opened(ada, "Ada Lovelace", "EUR"), bank.MoneyDeposited{Amount: 5}, bank.MoneyWithdrawn{Amount: 2}, bank.MoneyDeposited{Amount: 1})
	c.NoError(err, "AppendOnce")
	var ids []string
	for _, r := range outboxRows(c, db) {
		ids = append(ids, r.MessageID)
	}
	c.Equal([]string{"m-1", "m-2", "m-3", "m-4"}, ids, "the outbox's messages, in its order (every event announced, in the order of the events)")

	c.Doing("append 3 more events while the outbox refuses the first of their messages (a trigger)")
	execAll(c, db.Write, `CREATE TRIGGER no_m5 BEFORE INSERT ON outbox WHEN NEW.message_id = 'm-5' BEGIN SELECT RAISE(ABORT, 'the outbox refuses m-5'); END`)
	_, err = store.AppendOnce(c.Ctx(), nil, one, bank.StreamID(adaID), 4, meta, bank.MoneyDeposited{Amount: 1}, bank.MoneyDeposited{Amount: 1}, bank.MoneyDeposited{Amount: 1})
	c.That(err != nil && strings.Contains(err.Error(), "refuses m-5"), "the append fails with the outbox's error (return the first error of insertMessage)", fmt.Sprintf("%v", err))
	c.Equal(4, count(c, db, "events"), "events stored (the failed append stored none of its 3)")
	c.Equal(4, count(c, db, "outbox"), "messages stored")
}
