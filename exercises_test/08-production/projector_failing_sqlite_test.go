package production_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
	"github.com/google/uuid"
)

// The projector on a failing SQLite (statements_failing_sqlite_test.go): an
// event's savepoint, or the undo of a poison event, that fails as SQLite fails
// on an I/O error must fail the batch, not let the batch go on outside its
// rolled-back transaction.

func TestGuard_ABatchTheDatabaseFailsOnHalfWayLeavesNothing(t *testing.T) {
	for _, failing := range []string{"SAVEPOINT", "ROLLBACK TO"} {
		c := spec.For(t, stage)
		wrapped, conn := failingSQLite(c, t, spec.OpenDB(t))
		log, _ := spec.NewServerLog()
		store, err := bank.NewEventStore(c.Ctx(), wrapped, bank.NewRegistry())
		c.NoError(err, "NewEventStore")
		p, _ := tally("tally", func(e bank.Envelope) error {
			if d, ok := e.Event.(bank.MoneyDeposited); ok && d.Amount == 13 {
				return fmt.Errorf("13 is refused by the test")
			}
			return nil
		})
		projector, err := bank.NewProjector(c.Ctx(), wrapped, store, log, p)
		c.NoError(err, "NewProjector")
		events, err := store.Append(c.Ctx(), bank.StreamID(adaID), 0, bank.Metadata{CorrelationID: "test"}, opened(uuid.MustParse(adaID), "Ada Lovelace", "EUR"), bank.MoneyDeposited{Amount: 13})
		c.NoError(err, "appending events (test setup)")
		c.NoError(projector.Projection("tally").Handle(c.Ctx(), events[0]), "Handle(the opening)")
		conn.failing = failing
		c.Doing("apply a deposit that Apply refuses, while SQLite fails %s with an I/O error (and rolls the whole transaction back, as it does)", failing)
		err = projector.Projection("tally").Handle(c.Ctx(), events[1])
		c.ErrorIs(err, errInjected, "the database's error: the batch failed, to be tried again")
		conn.failing = ""
		var parked int
		c.NoError(wrapped.Read.QueryRow(`SELECT count(*) FROM consumer_dead_letters`).Scan(&parked), "counting dead letters")
		c.Equal(fmt.Sprintf("%s 1 0; parked 0", short(bank.StreamID(adaID))), tallies(c, &app{db: wrapped}, "tally")+fmt.Sprintf("; parked %d", parked),
			"the tally and the dead letters: the opening only (nothing went on outside the rolled-back transaction)")
	}
}

func TestGuard_AnOldBuildWhoseDropCannotBeginStopsTheProjectionAfterTheSwitch(t *testing.T) {
	c := spec.Guard(t, stage, "projection_rebuild.go (retire)", "an old build whose drop cannot begin stops the projection after the switch")
	wrapped, conn := failingSQLite(c, t, spec.OpenDB(t))
	log, _ := spec.NewServerLog()
	store, err := bank.NewEventStore(c.Ctx(), wrapped, bank.NewRegistry())
	c.NoError(err, "NewEventStore")
	_, err = bank.NewProjector(c.Ctx(), wrapped, store, log, tallyOf(1))
	c.NoError(err, "NewProjector (version 1)")
	switched := false // only the projector's goroutine reads and writes it
	conn.beforeExec = func(query string) {
		switched = switched || strings.HasPrefix(strings.TrimSpace(query), "UPDATE read_models SET live")
	}
	conn.beforeBegin = func() error {
		if switched {
			switched = false
			return errInjected
		}
		return nil
	}
	c.Doing("run version 2 of the tally on an empty log: its rebuild switches at once, and the transaction that drops the old build cannot begin (an I/O error)")
	projector, err := bank.NewProjector(c.Ctx(), wrapped, store, log, tallyOf(2, "largest"))
	c.NoError(err, "NewProjector (version 2)")
	runProjector(t, projector)
	var s bank.ProjectionStatus
	for deadline := time.Now().Add(spec.Patience); ; time.Sleep(2 * time.Millisecond) { // polling a condition, bounded
		statuses, err := projector.Statuses(c.Ctx())
		c.NoError(err, "Statuses")
		if s = statuses[0]; s.Status != "running" || time.Now().After(deadline) {
			break
		}
	}
	c.That(s.Status == "failed" && strings.Contains(s.Error, errInjected.Error()) && s.Build == "green" && s.Version == 2 && s.Rebuild == nil,
		"the projection switched to green (that transaction committed), then failed, saying the drop of blue could not begin", jsonOf(s))
}
