package production_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// Stretch task 8.4: the age of the oldest message still to deliver, the number
// that tells a stuck relay from a busy one. And guards of the other gauges.

// pendingSince adds a pending outbox row by hand, recorded at recordedAt and
// refused since, with its next try due now: the age is from recorded_at.
func pendingSince(c *spec.Check, db *sqlitedb.DB, n int, recordedAt string) {
	_, err := db.Write.Exec(`INSERT INTO outbox (message_id, subject, type, payload, recorded_at, next_attempt_at, status, attempts, last_error)
		VALUES (?, 'account-1', 'bank.account.v1.MoneyDeposited', '{}', ?, ?, 'pending', 1, 'refused')`, fmt.Sprintf("m-%d", n), recordedAt, ago(0))
	c.NoError(err, "adding a pending message (test setup)")
}

// ago is the time d before now, as the outbox records it.
func ago(d time.Duration) string { return time.Now().Add(-d).UTC().Format(time.RFC3339Nano) }

// waitedAbout reports whether got is want, give or take a minute (the time
// a test takes between writing a row and reading the gauge).
func waitedAbout(got, want time.Duration) bool {
	return got >= want-time.Minute && got <= want+time.Minute
}

func Test8_4_TheOldestPendingMessageSaysHowLongItWaited(t *testing.T) {
	c := spec.For(t, stage)
	a := newRelayApp(c, t, fastRelay()) // its relay does not run: what is pending stays
	gauge := func() time.Duration {
		g, err := a.ReadGauges(c.Ctx())
		c.NoError(err, "ReadGauges")
		return g.Outbox.OldestPending
	}
	c.Doing("read the gauges of an empty outbox")
	got := gauge()
	c.That(got == 0, "0s: no message waits", got.String())

	c.Doing("read the gauges with one message pending since an hour ago")
	pendingSince(c, a.db, 1, ago(time.Hour))
	got = gauge()
	c.That(waitedAbout(got, time.Hour), "about 1h0m0s", got.String())

	c.Doing("add a message pending since 10 minutes ago, and read them again")
	pendingSince(c, a.db, 2, ago(10*time.Minute))
	got = gauge()
	c.That(waitedAbout(got, time.Hour), "about 1h0m0s: the age of the OLDEST message", got.String())

	c.Doing("read the gauges when the only pending message was recorded 5 minutes ahead (another server's clock)")
	execAll(c, a.db.Write, `DELETE FROM outbox`)
	pendingSince(c, a.db, 3, time.Now().Add(5*time.Minute).UTC().Format(time.RFC3339Nano))
	got = gauge()
	c.That(got == 0, "0s, never a negative age", got.String())

	c.Doing("read the gauges when the pending message's recorded_at cannot be read")
	execAll(c, a.db.Write, `UPDATE outbox SET recorded_at = 'yesterday'`)
	_, err := a.ReadGauges(c.Ctx())
	c.That(err != nil, "an error: an age that cannot be read is not 0", "none")
}

func TestGuard_TheGaugesSayWhatWaitsAndWhatLags(t *testing.T) {
	c := spec.Guard(t, stage, "metrics_gauges.go", "the gauges count the log, each projection's lag, the outbox's backlog and every dead letter")
	a := newRelayApp(c, t, fastRelay()) // neither its projector nor its relay runs
	ada := a.open(c, "Ada Lovelace")
	a.deposit(c, ada, 100)
	a.open(c, "Bob")
	execAll(c, a.db.Write, `UPDATE outbox SET status = 'parked', recorded_at = '`+ago(2*time.Hour)+`' WHERE id = (SELECT MIN(id) FROM outbox)`,
		`INSERT INTO consumer_dead_letters (consumer, build, position, message_id, type, subject, data, reason, parked_at)
			VALUES ('statements', 'v1', 1, 'm', 't', 's', '{}', 'r', '2024-05-01T10:00:00Z'), ('statements', 'v1', 2, 'n', 't', 's', '{}', 'r', '2024-05-01T10:00:00Z'),
			('audit', 'v1', 3, 'o', 't', 's', '{}', 'r', '2024-05-01T10:00:00Z')`)
	c.Doing("read the gauges after 3 events, none projected, one of their 3 messages parked (recorded 2 hours ago), and 3 inputs parked by two consumers")
	g, err := a.ReadGauges(c.Ctx())
	c.NoError(err, "ReadGauges")
	c.Equal(int64(3), g.Head, "the log's head position")
	c.Equal(3, len(g.Projections), "projections")
	for _, p := range g.Projections {
		c.That(p.Lag == 3 && p.Checkpoint == 0, p.Name+": checkpoint 0, lag 3", fmt.Sprintf("%+v", p))
	}
	c.Equal(bank.OutboxGauges{Pending: 2, Parked: 1, OldestPending: g.Outbox.OldestPending}, g.Outbox, "the outbox: 2 pending, 1 parked")
	c.Equal(map[string]int64{"statements": 2, "audit": 1}, g.Parked, "the consumers' parked inputs")
	c.That(g.Outbox.OldestPending < time.Minute, "the oldest pending message's age: under a minute (it was just recorded; the parked one waits for a person, not for the relay)", g.Outbox.OldestPending.String())
}

func TestGuard_AGaugeThatCannotBeReadIsAnErrorNotAZero(t *testing.T) {
	c := spec.Guard(t, stage, "metrics_gauges.go (ReadGauges)", "a gauge that cannot be read is an error, never a zero")
	a := newRelayApp(c, t, fastRelay())
	a.open(c, "Ada Lovelace")
	var queries []string
	failAt := -1 // the index of the query to fail; -1: record them all
	hooked := readsThrough(c, t, a.db, func(query string) error {
		queries = append(queries, query)
		if len(queries)-1 == failAt {
			return errInjected
		}
		return nil
	})
	log, _ := spec.NewServerLog()
	store, err := bank.NewEventStore(c.Ctx(), hooked, bank.NewRegistry())
	c.NoError(err, "NewEventStore")
	app, err := bank.NewApplication(c.Ctx(), hooked, store, log, bank.Options{})
	c.NoError(err, "NewApplication")
	queries = nil
	_, err = app.ReadGauges(c.Ctx())
	c.NoError(err, "ReadGauges")
	reads := queries
	c.That(len(reads) >= 4, "at least 4 reads (projections, head, outbox, consumers' dead letters)", fmt.Sprint(len(reads)))
	for i, query := range reads {
		queries, failAt = nil, i
		c.Doing("ReadGauges while its read %d of %d fails: %.60s", i+1, len(reads), query)
		_, err := app.ReadGauges(c.Ctx())
		c.ErrorIs(err, errInjected, "the read's error, wrapped: a lag or a backlog that cannot be read must not show as 0")
	}
}
