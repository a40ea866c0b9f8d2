package production_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// refuseType refuses every message of type typ with a 503.
func refuseType(typ string) func(bank.IntegrationMessage, int) error {
	return func(m bank.IntegrationMessage, _ int) error {
		if m.Type == typ {
			return errors.New("consumer answered 503 Service Unavailable")
		}
		return nil
	}
}

func TestGuard_ARefusedMessageIsTriedAgainLaterAndThenDelivered(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "A refused message is tried again later and then delivered")
	cfg := fastRelay()
	cfg.MaxAttempts = 10
	pub := newRecorder()
	pub.setRefuse(func(m bank.IntegrationMessage, call int) error {
		if call <= 3 {
			return fmt.Errorf("consumer answered 503 (call %d)", call)
		}
		return nil
	})
	s := startServer(t, spec.OpenDB(t), pub, cfg)
	c.Doing("open an account while the consumer refuses the first 3 deliveries of each message")
	id := c.OpenAccount(s.API, "savings", 0)
	s.pub.await(c, s.relay, "the AccountOpened message acknowledged at its 4th attempt", func(got []bank.IntegrationMessage) bool { return len(got) == 1 })
	got := s.pub.acknowledged()
	c.Equal(4, s.pub.callsOf(got[0].ID), "publish calls for the message (3 refused, then acknowledged; never given up, never marked without an acknowledgement)")
	rows := waitRows(c, s, "the message published", func(rows []row) bool { return len(rows) == 1 && rows[0].Status == "published" })
	c.Equal(4, rows[0].Attempts, "attempts recorded in the outbox")
	c.Equal(id, got[0].Subject, "the message's subject")
}

func TestGuard_ARefusalIsRecordedWithItsReasonAndItsNextTry(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "A refusal is recorded with its reason and its next try")
	cfg := fastRelay()
	cfg.MaxAttempts, cfg.FirstRetry, cfg.MaxRetry = 10, 20*time.Minute, time.Hour
	pub := newRecorder()
	pub.setRefuse(refuseType(bank.AccountOpenedV1Type))
	s := startServer(t, spec.OpenDB(t), pub, cfg)
	c.Doing("open an account while the consumer refuses AccountOpened (first retry within 20 minutes)")
	before := time.Now()
	c.OpenAccount(s.API, "savings", 0)
	rows := waitRows(c, s, "the refusal recorded (attempts 1)", func(rows []row) bool { return len(rows) == 1 && rows[0].Attempts == 1 })
	c.That(rows[0].Status == "pending" && strings.Contains(rows[0].LastError, "503"), "the message still pending, its last error the consumer's 503", describeRows(rows))
	r := s.Get("/outbox")
	c.Status(r, http.StatusOK)
	var body struct {
		Pending  int
		Messages []struct {
			Status        string
			LastError     string `json:"last_error"`
			Attempts      int
			NextAttemptAt time.Time `json:"next_attempt_at"`
		}
	}
	c.NoError(r.Decode(&body), "decoding GET /outbox")
	c.That(body.Pending == 1 && len(body.Messages) == 1 && body.Messages[0].Attempts == 1, "GET /outbox: 1 pending, after 1 attempt", r.Describe())
	next := body.Messages[0].NextAttemptAt
	c.That(!next.Before(before.Add(10*time.Minute)) && !next.After(time.Now().Add(20*time.Minute)),
		"the next try between 10 and 20 minutes from now (half to all of the first pause: backoff with jitter)", next.String())
	c.That(strings.Contains(body.Messages[0].LastError, "503"), "GET /outbox shows the last error", r.Describe())
	c.Equal(1, s.pub.callsOf(outboxRows(c, s.db)[0].MessageID), "publish calls (the next one is 10 minutes away at least)")
}

func TestGuard_AMessageRefusedTooOftenIsParkedAndTheOthersGoOn(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "A message refused too often is parked and the others go on")
	pub := newRecorder()
	pub.setRefuse(func(m bank.IntegrationMessage, _ int) error {
		if m.Type == bank.MoneyDepositedV1Type && strings.Contains(string(m.Data), `"amount":500,`) {
			return errors.New("consumer answered 400: amount rejected")
		}
		return nil
	})
	s := startServer(t, spec.OpenDB(t), pub, fastRelay()) // MaxAttempts 3
	ada := c.OpenAccount(s.API, "checking", 10000)
	bob := c.OpenAccount(s.API, "savings", 0)
	c.Doing("Ada deposits 500 (its message is refused every time), then withdraws 100; then Bob deposits 7")
	c.Status(s.Post("/accounts/"+ada+"/deposits", map[string]any{"amount": 500}), http.StatusOK)
	c.Status(s.Post("/accounts/"+ada+"/withdrawals", map[string]any{"amount": 100}), http.StatusOK)
	c.Status(s.Post("/accounts/"+bob+"/deposits", map[string]any{"amount": 7}), http.StatusOK)
	s.pub.await(c, s.relay, "Bob's deposit acknowledged", func(got []bank.IntegrationMessage) bool {
		return has(got, bank.MoneyDepositedV1Type, moneyData(bob, 7, "EUR"))
	})
	rows := waitRows(c, s, "Ada's deposit parked and Bob's marked published", func(rows []row) bool {
		return len(rows) == 5 && rows[2].Status == "parked" && rows[4].Status == "published"
	})
	c.Equal(3, rows[2].Attempts, "attempts of the parked message (MaxAttempts 3)")
	c.Equal(3, s.pub.callsOf(rows[2].MessageID), "publish calls of the parked message")
	c.Equal("pending", rows[3].Status, "the status of Ada's withdrawal: it waits behind her parked deposit, not published, not dropped")
	c.Equal(0, rows[3].Attempts, "attempts of Ada's withdrawal (a refusal of her deposit counts against the deposit only)")
	c.That(!strings.Contains(s.Log(), "relay: pass failed"), "no failed pass in the server's log (a refusal is no failure of the relay)", s.Log())
	got := s.pub.acknowledged()
	c.That(!has(got, bank.MoneyWithdrawnV1Type, moneyData(ada, 100, "EUR")),
		"Ada's withdrawal not delivered (a consumer would see money go out that never came in)", describeMessages(got))
	r := s.Get("/dead-letters")
	c.Status(r, http.StatusOK)
	var letters struct {
		DeadLetters []struct {
			ID                    int64
			OutboxID              int64  `json:"outbox_id"`
			MessageID             string `json:"message_id"`
			Type, Subject, Reason string
			Attempts              int
			ParkedAt              time.Time `json:"parked_at"`
		} `json:"dead_letters"`
	}
	c.NoError(r.Decode(&letters), "decoding GET /dead-letters")
	c.That(len(letters.DeadLetters) == 1, "one dead letter", r.Describe())
	d := letters.DeadLetters[0]
	c.That(d.OutboxID == rows[2].ID && d.MessageID == rows[2].MessageID && d.Type == bank.MoneyDepositedV1Type && d.Subject == ada &&
		d.Attempts == 3 && strings.Contains(d.Reason, "amount rejected") && !d.ParkedAt.IsZero(),
		"the dead letter names the message, its account, its 3 attempts and the consumer's reason", r.Describe())
	r = s.Get("/outbox")
	c.That(r.Int("parked") == 1 && r.Int("pending") == 1, "GET /outbox: 1 parked, 1 pending (the withdrawal behind it)", r.Describe())
	c.Doing("nothing more happens for half a second: a parked message is no work to look for again and again")
	c.CheckIdle(500*time.Millisecond, "the relay with a parked message and one held behind it")
}

func TestGuard_AMessageIsNotLostWhenThePublisherIsDownAtCommit(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "A message is not lost when the publisher is down at commit")
	cfg := fastRelay()
	cfg.MaxAttempts = 1000
	pub := newRecorder()
	pub.setRefuse(func(bank.IntegrationMessage, int) error { return errors.New("broker unreachable") })
	s := startServer(t, spec.OpenDB(t), pub, cfg)
	c.Doing("open an account and deposit 5 while the broker is down")
	id := c.OpenAccount(s.API, "savings", 0)
	c.Status(s.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 5}), http.StatusOK)
	waitRows(c, s, "both messages refused at least once", func(rows []row) bool {
		return len(rows) == 2 && rows[0].Attempts >= 1
	})
	c.Doing("the broker comes back")
	pub.setRefuse(nil)
	s.pub.await(c, s.relay, "both messages delivered once the broker is back (save, then publish, would have lost them)", func(got []bank.IntegrationMessage) bool {
		return has(got, bank.MoneyDepositedV1Type, moneyData(id, 5, "EUR")) && has(got, bank.AccountOpenedV1Type, `{"account_id":"`+id+`","kind":"savings","currency":"EUR"}`)
	})
}

func TestGuard_AParkThatCannotBeStoredParksNothing(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "A park that cannot be stored parks nothing")
	cfg := fastRelay()
	cfg.MaxAttempts = 1
	pub := newRecorder()
	pub.setRefuse(refuseType(bank.AccountOpenedV1Type))
	s := startServer(t, spec.OpenDB(t), pub, cfg)
	for i, broken := range []struct {
		name  string
		setup []string
	}{
		{"dead_letters refusing inserts", []string{`CREATE TRIGGER full BEFORE INSERT ON dead_letters BEGIN SELECT RAISE(ABORT, 'disk full'); END`}},
		{"the outbox refusing updates", []string{`CREATE TRIGGER full BEFORE UPDATE ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END`}},
		{"a commit that fails (a deferred foreign key, checked at COMMIT)", []string{`PRAGMA foreign_keys = ON`, `CREATE TABLE parent (id TEXT PRIMARY KEY)`,
			`CREATE TABLE child (parent TEXT REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)`,
			`CREATE TRIGGER full AFTER INSERT ON dead_letters BEGIN INSERT INTO child VALUES ('nobody'); END`}},
	} {
		execAll(c, s.db.Write, broken.setup...)
		c.Doing("open an account (its message refused at once: MaxAttempts 1) with %s", broken.name)
		c.OpenAccount(s.API, "savings", 0)
		waitUntil(c, "the relay failing (it cannot park)", func() bool { state, err := s.relay.State(); return state == "failing" && err != nil })
		r := s.Get("/outbox")
		relay, _ := r.JSON()["relay"].(map[string]any)
		c.That(relay["status"] == "failing" && relay["error"] != "" && relay["error"] != nil, "GET /outbox: the relay failing, and why", r.Describe())
		c.Equal(i, count(c, s.db, "dead_letters"), "dead letters (the park failed: all of it, or none)")
		rows := outboxRows(c, s.db)
		c.Equal("pending", rows[len(rows)-1].Status, "the message's status (not parked without its dead letter)")
		execAll(c, s.db.Write, `DROP TRIGGER full`) // the failed park let go of the write connection
		waitRows(c, s, "every message parked once the database works", func(rows []row) bool {
			for _, r := range rows {
				if r.Status != "parked" {
					return false
				}
			}
			return true
		})
		waitUntil(c, "the relay running again, without an error", func() bool { state, err := s.relay.State(); return state == "running" && err == nil })
	}
}

func TestGuard_AStopInTheMiddleOfAPublishIsNoRefusal(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "A stop in the middle of a publish is no refusal")
	cfg := fastRelay()
	cfg.MaxAttempts = 1
	pub := newRecorder()
	pub.hold = make(chan struct{}) // each publish waits until the relay's context ends
	s := startServer(t, spec.OpenDB(t), pub, cfg)
	c.Doing("open an account, and stop the server while the relay publishes its message")
	c.OpenAccount(s.API, "savings", 0)
	select {
	case <-pub.entered:
	case <-time.After(spec.Patience):
		stopIfTodo(c, s.relay)
		c.Fail("the relay publishing within "+spec.Patience.String(), "no publish")
	}
	s.stop()
	s.srv.Wait()
	rows := outboxRows(c, s.db)
	c.That(len(rows) == 1 && rows[0].Status == "pending" && rows[0].Attempts == 0,
		"the message still pending, no attempt counted: the publish ended because the server stopped, not because the consumer refused", describeRows(rows))
	c.Equal(0, count(c, s.db, "dead_letters"), "dead letters")
}

// The pause before a retry doubles with each refusal (with jitter: between half
// and all of its ceiling): after the 1st refusal up to FirstRetry, after the
// 2nd up to twice that, after the 3rd four times. A relay that always waits
// FirstRetry, or counts one refusal too few, retries too soon.
func TestGuard_EachRefusalDoublesThePauseBeforeTheNextTry(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "each refusal doubles the pause before the next try")
	cfg := fastRelay()
	cfg.MaxAttempts, cfg.FirstRetry, cfg.MaxRetry = 10, 80*time.Millisecond, time.Minute
	a := newRelayApp(c, t, cfg)
	a.open(c, "Ada Lovelace")
	var mu sync.Mutex
	var calls []time.Time
	a.pub.setRefuse(func(bank.IntegrationMessage, int) error {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, time.Now())
		return errors.New("consumer answered 503")
	})
	c.Doing("run the relay while the consumer refuses everything (FirstRetry %s)", cfg.FirstRetry)
	a.runRelay(t)
	waitUntil(c, "4 attempts at the message", func() bool {
		stopIfTodo(c, a.Relay)
		mu.Lock()
		defer mu.Unlock()
		return len(calls) >= 4
	})
	mu.Lock()
	defer mu.Unlock()
	var got []string
	ok := true
	for k := 1; k < 4; k++ {
		ceiling := cfg.FirstRetry << (k - 1)
		pause := calls[k].Sub(calls[k-1])
		got = append(got, fmt.Sprintf("after refusal %d: %s (its ceiling %s)", k, pause.Round(time.Millisecond), ceiling))
		ok = ok && pause >= ceiling/2 && pause <= ceiling+time.Second
	}
	c.That(ok, "each pause between half of its ceiling and the ceiling (a second late at most): 40-80 ms, then 80-160 ms, then 160-320 ms; "+
		"the ceiling is RetryDelay's, given the number of refusals so far including this one", strings.Join(got, "\n"))
}

// pendingRow adds a pending outbox row by hand: a message tried attempts times
// already, its next try due since 2024 (long past: after an outage, say).
func pendingRow(c *spec.Check, db *sqlitedb.DB, n int, subject string, attempts int) {
	payload := fmt.Sprintf(`{"message_id":"m-%d","type":"bank.account.v1.MoneyDeposited","subject":%q,"occurred_at":"2024-05-01T10:00:00Z","correlation_id":"c","data":{"amount":%d}}`, n, subject, n)
	_, err := db.Write.Exec(`INSERT INTO outbox (message_id, subject, type, payload, recorded_at, next_attempt_at, status, attempts, last_error)
		VALUES (?, ?, 'bank.account.v1.MoneyDeposited', ?, '2024-05-01T10:00:00Z', '2024-05-01T10:00:00Z', 'pending', ?, 'refused')`, fmt.Sprintf("m-%d", n), subject, payload, attempts)
	c.NoError(err, "adding a pending message (test setup)")
}

// The pause before a retry is drawn between half and all of its ceiling (jitter:
// messages refused together do not all come back at the same instant), and the
// ceiling stops at MaxRetry however often a message was refused.
func TestGuard_RetriesAreSpreadOutAndCapped(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "retries are spread out and capped")
	cfg := fastRelay()
	cfg.MaxAttempts, cfg.FirstRetry, cfg.MaxRetry = 30, time.Hour, 2*time.Hour
	a := newRelayApp(c, t, cfg)
	const accounts = 16
	for i := range accounts {
		a.open(c, fmt.Sprintf("owner %d", i))
	}
	pendingRow(c, a.db, 1, bob.String(), 20) // refused 20 times already: without a cap, its pause would be 2^20 hours
	var mu sync.Mutex
	refusedAt := map[string]time.Time{}
	a.pub.setRefuse(func(m bank.IntegrationMessage, _ int) error {
		mu.Lock()
		defer mu.Unlock()
		refusedAt[m.ID] = time.Now()
		return errors.New("consumer answered 503")
	})
	c.Doing("run the relay while the consumer refuses everything: %d messages at their first refusal (FirstRetry 1h), one at its 21st (MaxRetry 2h)", accounts)
	a.runRelay(t)
	rows := waitOutbox(c, a, "every message refused once more", func(rows []row) bool {
		stopIfTodo(c, a.Relay)
		for _, r := range rows {
			if r.Attempts != 1 && r.Attempts != 21 {
				return false
			}
		}
		return true
	})
	mu.Lock()
	defer mu.Unlock()
	var pauses []string
	early, late := 0, 0
	for _, r := range rows {
		next := nextAttemptAt(c, a.db, r.ID)
		pause := next.Sub(refusedAt[r.MessageID])
		ceiling := cfg.FirstRetry
		if r.Attempts == 21 {
			ceiling = cfg.MaxRetry
		}
		pauses = append(pauses, fmt.Sprintf("%s after refusal %d: next try %s later (ceiling %s)", r.MessageID, r.Attempts, pause.Round(time.Second), ceiling))
		if pause < 9*ceiling/10 {
			early++
		}
		if pause < ceiling/2-time.Second || pause > ceiling+time.Second {
			late = 1000 // out of bounds
		}
	}
	c.That(late == 0, "every pause between half of its ceiling and the ceiling: 30-60 min after a first refusal, 1-2 h (MaxRetry) after the 21st", strings.Join(pauses, "\n"))
	c.That(early > 0, "pauses spread over half to all of their ceiling (jitter): of 16 first refusals, some pause under 54 min", strings.Join(pauses, "\n"))
}

// A retry is scheduled from now, not from the missed due time (after an outage
// every retry would fall due at once), and a message refused more often than
// MaxAttempts allows (MaxAttempts was lowered) is parked at its next refusal.
func TestGuard_ARetryCountsFromNowAndALoweredLimitStillParks(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "A retry counts from now and a lowered limit still parks")
	cfg := fastRelay()
	cfg.MaxAttempts, cfg.FirstRetry, cfg.MaxRetry = 8, time.Hour, time.Hour
	a := newRelayApp(c, t, cfg)
	pendingRow(c, a.db, 1, adaID, 2)        // due since 2024
	pendingRow(c, a.db, 2, bob.String(), 9) // refused 9 times: MaxAttempts was 10, now it is 8
	a.pub.setRefuse(func(bank.IntegrationMessage, int) error { return errors.New("consumer answered 503") })
	started := time.Now()
	c.Doing("run the relay on two messages from before an outage (due in 2024): one refused twice before, one 9 times (MaxAttempts 8)")
	a.runRelay(t)
	rows := waitOutbox(c, a, "both messages refused once more", func(rows []row) bool {
		stopIfTodo(c, a.Relay)
		return rows[0].Attempts == 3 && rows[1].Status != "pending"
	})
	next := nextAttemptAt(c, a.db, rows[0].ID)
	c.That(!next.Before(started.Add(30*time.Minute)), "the first message's next try at least half an hour from now (a pause counts from the refusal, not from the due time it missed)", next.String())
	c.Equal("parked", rows[1].Status, "the second message's status (its 10th refusal is over MaxAttempts: parked, not retried for ever)")
	var parkedAt string
	c.NoError(a.db.Read.QueryRow(`SELECT parked_at FROM dead_letters`).Scan(&parkedAt), "reading the dead letter")
	at, err := time.Parse(time.RFC3339Nano, parkedAt)
	c.That(err == nil && !at.Before(started.Add(-time.Second)), "the dead letter parked now (not at the message's time, 2024)", parkedAt)
}

// waitOutbox waits, at most spec.Patience, until cond holds for the outbox's rows.
func waitOutbox(c *spec.Check, a *relayApp, what string, cond func([]row) bool) []row {
	var rows []row
	waitUntil(c, what, func() bool { rows = outboxRows(c, a.db); return len(rows) > 0 && cond(rows) })
	return rows
}

// nextAttemptAt reads when outbox row id is due.
func nextAttemptAt(c *spec.Check, db *sqlitedb.DB, id int64) time.Time {
	var next string
	c.NoError(db.Read.QueryRow(`SELECT next_attempt_at FROM outbox WHERE id = ?`, id).Scan(&next), "reading next_attempt_at")
	t, err := time.Parse(time.RFC3339Nano, next)
	c.NoError(err, "parsing next_attempt_at "+next)
	return t
}
