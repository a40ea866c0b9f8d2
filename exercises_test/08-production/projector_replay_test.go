package production_test

import (
	"fmt"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// Stage 6 (kept): what a batch skips, and what it must not write.

// checkpointMoves records every write of the tally's checkpoint, in moves (test setup).
func checkpointMoves(c *spec.Check, a *app) func() string {
	execAll(c, a.db.Write, `CREATE TABLE moves (position INTEGER)`,
		`CREATE TRIGGER counted AFTER UPDATE ON checkpoints WHEN NEW.projection = 'tally' BEGIN INSERT INTO moves VALUES (NEW.position); END`)
	return func() string {
		var moves string
		c.NoError(a.db.Read.QueryRow(`SELECT COALESCE(group_concat(position, ' '), '') FROM (SELECT position FROM moves ORDER BY rowid)`).Scan(&moves), "reading the checkpoint's moves")
		return moves
	}
}

// storyTallies are the tally's rows of the story, each event once.
func storyTallies() string {
	return fmt.Sprintf("%s 2 70; %s 3 5000", short(bank.StreamID(bobID)), short(bank.StreamID(adaID)))
}

func TestGuard_ABatchSkipsWhatAnotherServerAppliedAndAReplayWritesNothing(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "a batch skips what another server applied and a replay writes nothing")
	a := newApp(c, t)
	p, _ := tally("tally", nil)
	first, second := a.projector(c, p), a.projector(c, p) // two servers on one file: both read checkpoint 0 when they started
	log := storyLog(c, a)
	moves := checkpointMoves(c, a)
	c.Doing("apply events 1 to 3 in the first server, then run the second, whose checkpoint in memory is still 0")
	for _, e := range log[:3] {
		c.NoError(first.Projection("tally").Handle(c.Ctx(), e), fmt.Sprintf("the first server applying event %d", e.Position))
	}
	stop := runProjector(t, second)
	c.NoError(<-waitFor(c, second.Projection("tally"), log[len(log)-1].Position), "WaitFor(the last event) on the second server")
	stop()
	c.Equal(storyTallies(), tallies(c, a, "tally"), "the rows (each event once: the second server's batch of 5 skipped 1 to 3, "+
		"the checkpoint 3 included, as the batch's transaction read them)")
	c.Equal("1 2 3 5", moves(), "the checkpoint's moves (one per event in the first server, one for the second server's batch)")
	c.Doing("hand the whole log to both servers again, event by event (a replay)")
	for _, server := range []*bank.Projector{first, second} {
		for _, e := range log {
			c.NoError(server.Projection("tally").Handle(c.Ctx(), e), fmt.Sprintf("applying event %d again", e.Position))
		}
	}
	c.Equal(storyTallies(), tallies(c, a, "tally"), "the rows (unchanged)")
	c.Equal("1 2 3 5", moves(), "the checkpoint's moves (none more: a batch that applies nothing writes no checkpoint)")
}

func TestGuard_ABatchThatCannotReadItsCheckpointAppliesNothing(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "a batch that cannot read its checkpoint applies nothing")
	a := newApp(c, t)
	p, _ := tally("tally", nil)
	projector := a.projector(c, p)
	log := storyLog(c, a)
	for _, e := range log {
		c.NoError(projector.Projection("tally").Handle(c.Ctx(), e), fmt.Sprintf("applying event %d", e.Position))
	}
	execAll(c, a.db.Write, `UPDATE checkpoints SET position = 'lost' WHERE projection = 'tally'`)
	c.Doing("hand over event 1 again once the checkpoint in the database is 'lost', not a number")
	c.That(projector.Projection("tally").Handle(c.Ctx(), log[0]) != nil, "an error: without its checkpoint, the batch cannot tell what is applied already", "no error")
	c.Equal(storyTallies(), tallies(c, a, "tally"), "the rows (unchanged: event 1 not applied a second time)")
}

func TestGuard_AnErrorThatEndsTheWholeTransactionParksNothing(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "an error that ends the whole transaction parks nothing")
	a := newApp(c, t)
	p, _ := tally("tally", nil)
	projector := a.projector(c, p)
	storyLog(c, a)
	// SQLite rolls a transaction back by itself on some errors (a full disk, for one); RAISE(ROLLBACK) in a trigger does the same.
	execAll(c, a.db.Write, fmt.Sprintf(`CREATE TRIGGER gone BEFORE INSERT ON tally_blue WHEN NEW.stream = '%s' BEGIN SELECT RAISE(ROLLBACK, 'the transaction is gone'); END`, bank.StreamID(bobID)))
	c.Doing("run the projection when writing Bob's row ends the batch's whole transaction (no savepoint left to go back to)")
	runProjector(t, projector)
	s := waitStopped(c, a, projector, "tally")
	c.That(s.Status == "failed" && s.Error != "", "the projection failed, saying why (an event whose savepoint is gone cannot be parked)", jsonOf(s))
	var checkpoint string
	c.NoError(a.db.Read.QueryRow(`SELECT position FROM checkpoints WHERE projection = 'tally' AND build = 'blue'`).Scan(&checkpoint), "reading the checkpoint")
	c.Equal("0", checkpoint, "the checkpoint in the database")
	c.Equal("", parkedByBuilds(c, a, "tally"), "what the tally parked (nothing: what is parked and the checkpoint belong to the batch's transaction, which is gone)")
	c.Equal("", tallies(c, a, "tally"), "the rows")
	c.Doing("start the projection again once the trigger is gone")
	execAll(c, a.db.Write, `DROP TRIGGER gone`)
	again := a.projector(c, p)
	runProjector(t, again)
	c.NoError(<-waitFor(c, again.Projection("tally"), 5), "WaitFor(the last event)")
	c.Equal(storyTallies(), tallies(c, a, "tally"), "the rows (the whole batch, applied once)")
}
