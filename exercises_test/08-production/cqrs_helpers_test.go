package production_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/08-production"
	"github.com/google/uuid"
)

// Stage 4's helpers, for stage 4's tests of the code stage 5 keeps from it
// (aggregate_test.go, read_models_test.go, ...): the application with its
// projector not running (the relay runs nowhere either), and logs of envelopes.

// app is the bank's application on a fresh database, its projector not running:
// a test applies events itself (ProjectionRun.Handle), or runs it.
type app struct {
	*bank.Application
	db        *sqlitedb.DB
	store     *bank.EventStore
	log       *slog.Logger
	serverLog *spec.ServerLog
}

func newApp(c *spec.Check, t *testing.T) *app {
	db := spec.OpenDB(t)
	return openApp(c, db)
}

// openApp wires the application on db (again: a restart).
func openApp(c *spec.Check, db *sqlitedb.DB) *app {
	log, serverLog := spec.NewServerLog()
	store, err := bank.NewEventStore(c.Ctx(), db, bank.NewRegistry())
	c.NoError(err, "NewEventStore")
	a, err := bank.NewApplication(c.Ctx(), db, store, log, bank.Options{})
	c.NoError(err, "NewApplication")
	return &app{Application: a, db: db, store: store, log: log, serverLog: serverLog}
}

// run runs the projector until the test ends, and waits for it to stop then.
func (a *app) run(t *testing.T) context.CancelFunc {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Projector.Run(ctx); close(done) }()
	stop := func() {
		cancel()
		select {
		case <-done:
		case <-time.After(spec.Patience):
			t.Errorf("the projector did not stop within %s of its context ending", spec.Patience)
		}
	}
	t.Cleanup(stop)
	return stop
}

// apply applies envelopes to the projection called name, in order.
func (a *app) apply(c *spec.Check, name string, log ...bank.Envelope) error {
	run := a.Projector.Projection(name)
	c.That(run != nil, "a projection called "+name, "none")
	for _, e := range log {
		if err := run.Handle(c.Ctx(), e); err != nil {
			return err
		}
	}
	return nil
}

// status is the projection called name as GET /projections would show it.
func (a *app) status(c *spec.Check, name string) bank.ProjectionStatus {
	statuses, err := a.Projector.Statuses(c.Ctx())
	c.NoError(err, "Statuses")
	for _, s := range statuses {
		if s.Name == name {
			return s
		}
	}
	c.Fail("a projection called "+name, fmt.Sprintf("%+v", statuses))
	return bank.ProjectionStatus{}
}

// at is a time of recording: 10:00 UTC on the given day of May 2024, plus minutes.
func at(day, minutes int) time.Time {
	return time.Date(2024, 5, day, 10, minutes, 0, 0, time.UTC)
}

// logOf builds envelopes of the log: each event in turn, of the account (stream)
// given before it, at positions 1, 2, 3... and versions counted per stream.
// Items are an account id (uuid.UUID), a time (for the events after it), or an event.
func logOf(items ...any) []bank.Envelope {
	var out []bank.Envelope
	versions := map[string]int64{}
	account, when := uuid.MustParse(adaID), at(1, 0)
	for _, item := range items {
		switch v := item.(type) {
		case uuid.UUID:
			account = v
		case time.Time:
			when = v
		case bank.Event:
			stream := bank.StreamID(account.String())
			versions[stream]++
			out = append(out, bank.Envelope{EventID: uuid.NewString(), StreamID: stream, Version: versions[stream],
				Position: int64(len(out) + 1), Type: strings.TrimPrefix(fmt.Sprintf("%T", v), "bank."), SchemaVersion: 1, RecordedAt: when, Event: v})
		}
	}
	return out
}

// describeEnvelope prints an envelope for a Given line:
// @3 account-0190c6a8… v2 2024-05-01T10:00:00Z MoneyDeposited{Amount:5000 Reference:}.
func describeEnvelope(e bank.Envelope) string {
	return fmt.Sprintf("@%d %s… v%d %s %s%+v", e.Position, e.StreamID[:len("account-")+8], e.Version,
		e.RecordedAt.Format(time.RFC3339), e.Type, e.Event)
}

// opened is AccountOpened for the account id, owned by owner, in currency.
func opened(id uuid.UUID, owner, currency string) bank.AccountOpened {
	return bank.AccountOpened{AccountID: id.String(), Holder: bank.Holder{LegalName: owner, Type: bank.Person}, Kind: bank.Checking, Currency: currency, OverdraftLimit: 10000}
}

// refuseParking makes consumer_dead_letters refuse every row: a projection that
// cannot park an event it cannot apply has no choice but to stop (test setup).
func refuseParking(c *spec.Check, db *sql.DB) {
	_, err := db.Exec(`CREATE TRIGGER no_parking BEFORE INSERT ON consumer_dead_letters BEGIN SELECT RAISE(ABORT, 'no room for dead letters'); END`)
	c.NoError(err, "making consumer_dead_letters refuse every row (test setup)")
}

// consumerDeadLetters are what consumer parked, as GET /dead-letters lists them.
func (a *app) consumerDeadLetters(c *spec.Check, consumer string) []bank.ConsumerDeadLetter {
	all, err := a.Projector.ConsumerDeadLetters(c.Ctx())
	c.NoError(err, "ConsumerDeadLetters")
	var parked []bank.ConsumerDeadLetter
	for _, d := range all {
		if d.Consumer == consumer {
			parked = append(parked, d)
		}
	}
	return parked
}
