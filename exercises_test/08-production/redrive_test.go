package production_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

func TestGuard_ARedrivenMessageIsDeliveredFirstThenTheOnesItHeldBack(t *testing.T) {
	c := spec.Guard(t, stage, "dead_letters.go", "A redriven message is delivered first then the ones it held back")
	var fixed atomic.Bool
	pub := newRecorder()
	pub.setRefuse(func(m bank.IntegrationMessage, _ int) error {
		if m.Type == bank.MoneyDepositedV1Type && !fixed.Load() {
			return errors.New("consumer answered 400: unknown message type")
		}
		return nil
	})
	cfg := fastRelay()
	cfg.MaxAttempts = 1
	cfg.PollInterval = time.Minute // only the redrive's wake-up can bring the message within spec.Patience
	s := startServer(t, spec.OpenDB(t), pub, cfg)
	id := c.OpenAccount(s.API, "savings", 0)
	c.Doing("deposit 5 (refused, parked at its first attempt), then withdraw 2 and 3")
	c.Status(s.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 5}), http.StatusOK)
	c.Status(s.Post("/accounts/"+id+"/withdrawals", map[string]any{"amount": 2}), http.StatusOK)
	c.Status(s.Post("/accounts/"+id+"/withdrawals", map[string]any{"amount": 3}), http.StatusOK)
	waitRows(c, s, "the deposit parked", func(rows []row) bool { return len(rows) == 4 && rows[1].Status == "parked" })
	var letters struct {
		DeadLetters []struct{ ID int64 } `json:"dead_letters"`
	}
	c.NoError(s.Get("/dead-letters").Decode(&letters), "decoding GET /dead-letters")
	c.Equal(1, len(letters.DeadLetters), "dead letters")
	path := fmt.Sprintf("/dead-letters/%d/redrive", letters.DeadLetters[0].ID)

	time.Sleep(200 * time.Millisecond) // the relay finishes its pass and sleeps (a minute: only the redrive can wake it in time)
	c.Doing("the consumer is fixed: POST %s", path)
	fixed.Store(true)
	r := s.Post(path, nil)
	c.NoStub(r)
	c.Status(r, http.StatusOK)
	c.Equal(letters.DeadLetters[0].ID, r.Int("redriven"), "the answer's redriven (the dead letter's id)")
	s.pub.await(c, s.relay, "all four messages delivered", func(got []bank.IntegrationMessage) bool { return len(got) == 4 })
	got := s.pub.acknowledged()
	c.Equal([]string{bank.AccountOpenedV1Type, bank.MoneyDepositedV1Type, bank.MoneyWithdrawnV1Type, bank.MoneyWithdrawnV1Type}, typesOf(got),
		"the account's messages in order: the re-driven deposit first, then the withdrawals it held back")
	c.Equal(0, count(c, s.db, "dead_letters"), "dead letters left")
	rows := waitRows(c, s, "every message published", func(rows []row) bool { return len(rows) == 4 && rows[3].Status == "published" })
	c.Equal(1, rows[1].Attempts, "attempts of the re-driven message (counted afresh from 0: it had its MaxAttempts already)")

	c.Doing("POST %s again: that dead letter is gone", path)
	c.Status(s.Post(path, nil), http.StatusNotFound)
}

func TestGuard_ARedriveTouchesOnlyItsMessageAndFailsWhole(t *testing.T) {
	c := spec.Guard(t, stage, "dead_letters.go", "A redrive touches only its message and fails whole")
	db := spec.OpenDB(t)
	ghostLease(c, db) // the relay stays on standby: the rows stay as the test left them
	s := startServer(t, db, newRecorder(), fastRelay())
	first, second := parkedRow(c, db, 1, adaID), parkedRow(c, db, 2, bob.String())
	path := fmt.Sprintf("/dead-letters/%d/redrive", first)
	for _, broken := range []struct{ name, setup, undo string }{
		{"the outbox refusing the update", `CREATE TRIGGER stuck BEFORE UPDATE ON outbox BEGIN SELECT RAISE(ABORT, 'stuck'); END`, `DROP TRIGGER stuck`},
		{"dead_letters refusing the delete", `CREATE TRIGGER stuck BEFORE DELETE ON dead_letters BEGIN SELECT RAISE(ABORT, 'stuck'); END`, `DROP TRIGGER stuck`},
	} {
		c.Doing("POST %s with %s", path, broken.name)
		execAll(c, db.Write, broken.setup)
		r := s.Post(path, nil)
		c.NoStub(r)
		c.Status(r, http.StatusInternalServerError)
		execAll(c, db.Write, broken.undo) // a redrive that failed let go of the write connection
		c.Equal(2, count(c, db, "dead_letters"), "dead letters (a failed redrive changes nothing)")
	}
	c.Doing("POST %s when its commit fails (a deferred foreign key, checked at COMMIT)", path)
	execAll(c, db.Write, `PRAGMA foreign_keys = ON`, `CREATE TABLE parent (id TEXT PRIMARY KEY)`,
		`CREATE TABLE child (parent TEXT REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)`,
		`CREATE TRIGGER orphan AFTER DELETE ON dead_letters BEGIN INSERT INTO child VALUES ('nobody'); END`)
	c.Status(s.Post(path, nil), http.StatusInternalServerError)
	execAll(c, db.Write, `DROP TRIGGER orphan`)
	c.Equal(2, count(c, db, "dead_letters"), "dead letters (the commit failed: nothing changed)")
	c.Doing("POST /dead-letters/4040/redrive (no such dead letter), then deposit: the write connection is free")
	c.Status(s.Post("/dead-letters/4040/redrive", nil), http.StatusNotFound)
	id := c.OpenAccount(s.API, "savings", 0)
	c.Status(s.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 1}), http.StatusOK)
	c.Doing("POST %s", path)
	c.Status(s.Post(path, nil), http.StatusOK)
	var status, next, lastError string
	var attempts int
	c.NoError(db.Read.QueryRow(`SELECT status, attempts, next_attempt_at, last_error FROM outbox WHERE message_id = 'm-1'`).Scan(&status, &attempts, &next, &lastError), "reading the message")
	due, err := time.Parse(time.RFC3339Nano, next)
	c.That(status == "pending" && attempts == 0 && lastError == "" && strings.HasSuffix(next, "Z") && err == nil && time.Since(due) < time.Minute,
		"the re-driven message pending, 0 attempts, no last error, due now (in UTC; it was parked with a try in 2024)", fmt.Sprintf("%s, %d attempts, last error %q, next %s", status, attempts, lastError, next))
	c.NoError(db.Read.QueryRow(`SELECT status FROM outbox WHERE message_id = 'm-2'`).Scan(&status), "reading the other message")
	c.Equal("parked", status, "the other parked message (Bob's): re-driving one touches no other")
	c.Equal(1, count(c, db, "dead_letters"), "dead letters left")
	c.Doing("POST /dead-letters/%d/redrive while its outbox_id cannot be read", second)
	execAll(c, db.Write, `PRAGMA foreign_keys = OFF`, fmt.Sprintf(`UPDATE dead_letters SET outbox_id = 'lots' WHERE id = %d`, second))
	c.Status(s.Post(fmt.Sprintf("/dead-letters/%d/redrive", second), nil), http.StatusInternalServerError)
	execAll(c, db.Write, fmt.Sprintf(`UPDATE dead_letters SET outbox_id = (SELECT id FROM outbox WHERE message_id = 'm-2') WHERE id = %d`, second))
	c.Equal(1, count(c, db, "dead_letters"), "dead letters left (a dead letter whose message cannot be found is not dropped)")
	c.Doing("Relay.Redrive(%d) with a context that has ended", second)
	ended, cancel := context.WithCancel(c.Ctx())
	cancel()
	err = s.relay.Redrive(ended, second)
	c.That(errors.Is(err, context.Canceled), "an error wrapping context.Canceled", fmt.Sprintf("%v", err))
	c.Equal(1, count(c, db, "dead_letters"), "dead letters left")
	c.Doing("POST /dead-letters/%d/redrive with dead_letters gone", second)
	execAll(c, db.Write, `ALTER TABLE dead_letters RENAME TO gone`)
	c.Status(s.Post(fmt.Sprintf("/dead-letters/%d/redrive", second), nil), http.StatusInternalServerError)
}
