package production_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/08-production"
	"github.com/google/uuid"
)

// Stage 6 (kept): a batch skips what is applied, parks what is poison, and moves its
// checkpoint in its own transaction.

// storyLog appends a small story of two accounts and returns it.
func storyLog(c *spec.Check, a *app) []bank.Envelope {
	log := a.appendLog(c, ada, opened(ada, "Ada Lovelace", "EUR"), bank.MoneyDeposited{Amount: 5000, Reference: "salary"},
		bank.MoneyWithdrawn{Amount: 1200, Reference: "rent"})
	log = append(log, a.appendLog(c, bob, opened(bob, "Bob", "GBP"), bank.MoneyDeposited{Amount: 70})...)
	return log
}

func TestGuard_AnEventAppliedTwiceCountsOnce(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "an event applied twice counts once")
	once, twice := newApp(c, t), newApp(c, t)
	log := storyLog(c, once)
	storyLog(c, twice)
	for _, name := range []string{bank.AccountsByOwnerProjection, bank.TransactionHistoryProjection, bank.DailyTotalsProjection} {
		c.Doing("apply the log to %s once, and in another bank, each event twice in a row (a redelivery)", name)
		c.NoError(once.apply(c, name, log...), "applying the log once")
		for _, e := range log {
			c.NoError(twice.apply(c, name, e, e), fmt.Sprintf("applying event %d twice", e.Position))
		}
	}
	c.Equal(readModels(c, once), readModels(c, twice), "the read models (every row as if each event was applied once)")
	c.Doing("apply the whole log again, then an old event after a newer one")
	for _, name := range []string{bank.AccountsByOwnerProjection, bank.TransactionHistoryProjection, bank.DailyTotalsProjection} {
		c.NoError(twice.apply(c, name, log...), "applying the log again")
		c.NoError(twice.apply(c, name, log[1]), "applying event 2 after event 5")
		c.Equal(log[len(log)-1].Position, twice.status(c, name).Checkpoint, "the checkpoint of "+name+" (an old event does not move it back)")
	}
	c.Equal(readModels(c, once), readModels(c, twice), "the read models")
}

func TestGuard_TwoServersOnOneFileApplyEachEventOnce(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "two servers on one file apply each event once")
	first := newApp(c, t)
	second := openApp(c, first.db) // another server on the same file: it read checkpoint 0 when it started
	log := storyLog(c, first)
	c.Doing("apply the log in one server, then the same log in the other (its checkpoint in memory is still 0)")
	c.NoError(first.apply(c, bank.AccountsByOwnerProjection, log...), "the first server applying the log")
	c.NoError(second.apply(c, bank.AccountsByOwnerProjection, log...), "the second server applying the log")
	page, err := second.Queries.AccountsByOwner(c.Ctx(), bank.OwnerQuery{Owner: "Ada Lovelace", Limit: 10})
	c.NoError(err, "AccountsByOwner")
	c.That(len(page.Accounts) == 1 && page.Accounts[0].Balance == 3800, "Ada's account with 3800 (5000 - 1200, once)", fmt.Sprintf("%+v", page.Accounts))
	c.Equal(log[len(log)-1].Position, second.status(c, bank.AccountsByOwnerProjection).Checkpoint,
		"the second server's checkpoint (it has seen that the events are applied: a query on it must not wait for them)")
	c.Doing("run both projectors on the file while more events are appended")
	first.run(t)
	second.run(t)
	var last int64
	for range 30 {
		last = first.appendMore(c, ada, bank.MoneyDeposited{Amount: 10})[0].Position
	}
	c.NoError(<-waitFor(c, first.Projector.Projection(bank.AccountsByOwnerProjection), last), "WaitFor on the first server")
	c.NoError(<-waitFor(c, second.Projector.Projection(bank.AccountsByOwnerProjection), last), "WaitFor on the second server")
	page, err = first.Queries.AccountsByOwner(c.Ctx(), bank.OwnerQuery{Owner: "Ada Lovelace", Limit: 10})
	c.NoError(err, "AccountsByOwner")
	c.That(len(page.Accounts) == 1 && page.Accounts[0].Balance == 4100, "Ada's account with 4100 (30 deposits of 10 more, each once)", fmt.Sprintf("%+v", page.Accounts))
}

func TestGuard_PoisonEventsAreParkedAndTheProjectionGoesOn(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "poison events are parked and the projection goes on")
	a := newApp(c, t)
	mallory := uuid.MustParse("0190c6a8-0000-7000-8000-0000000bad00")
	a.appendLog(c, ada, opened(ada, "Ada Lovelace", "EUR"))
	spec.InsertEvent(c, a.db, bank.StreamID(adaID), 2, "MoneyTeleported", `{"amount":5}`) // a type this code does not know
	a.appendLog(c, bob, opened(bob, "Bob", "GBP"))
	spec.InsertEvent(c, a.db, bank.StreamID(bobID), 2, "MoneyDeposited", `{"amount":`) // not the type's JSON
	a.appendLog(c, mallory, bank.MoneyDeposited{Amount: 9})                            // money into an account daily totals never saw opened
	last := a.appendMore(c, bob, bank.MoneyDeposited{Amount: 70})[0]
	a.run(t)
	c.Doing("run the projector on a log with three poison events among the good ones")
	for _, name := range []string{bank.AccountsByOwnerProjection, bank.TransactionHistoryProjection, bank.DailyTotalsProjection} {
		c.NoError(<-waitFor(c, a.Projector.Projection(name), last.Position), "WaitFor(the last event) on "+name)
		s := a.status(c, name)
		c.That(s.Status == "running" && s.Checkpoint == last.Position, fmt.Sprintf("%s running at checkpoint %d", name, last.Position), fmt.Sprintf("%+v", s))
	}
	parkedOf := func(name string) string {
		var out []string
		for _, d := range a.consumerDeadLetters(c, name) {
			c.That(d.Reason != "" && d.Build == "blue" && d.MessageID == "", "a dead letter with its reason, of build blue, without a message id", jsonOf(d))
			out = append(out, fmt.Sprintf("%d %s", d.Position, d.Type))
		}
		return strings.Join(out, ", ")
	}
	c.Equal("2 MoneyTeleported, 4 MoneyDeposited", parkedOf(bank.AccountsByOwnerProjection), "what accounts_by_owner parked (position and type)")
	c.Equal("2 MoneyTeleported, 4 MoneyDeposited, 5 MoneyDeposited", parkedOf(bank.DailyTotalsProjection), "what daily_totals parked")
	checkUTC(c, a.db, "consumer_dead_letters", "parked_at")
	page, err := a.Queries.AccountsByOwner(c.Ctx(), bank.OwnerQuery{Owner: "Bob", Limit: 10})
	c.NoError(err, "AccountsByOwner")
	c.That(len(page.Accounts) == 1 && page.Accounts[0].Balance == 70, "Bob's account with 70 (the events after the poison applied)", fmt.Sprintf("%+v", page.Accounts))
	c.That(strings.Contains(a.serverLog.String(), "parked"), "each parked event in the server's log", a.serverLog.String())
}

func TestGuard_APoisonEventLeavesNoHalfWrittenRows(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "a poison event leaves no half written rows")
	a := newApp(c, t)
	p, _ := tally("tally", func(e bank.Envelope) error {
		if e.StreamID == bank.StreamID(bobID) {
			return errRefused // after its row was written
		}
		return nil
	})
	projector := a.projector(c, p)
	log := storyLog(c, a)
	c.Doing("apply the story in one batch, with a projection that writes each event's row and then refuses Bob's")
	ctx, cancel := context.WithCancel(c.Ctx())
	defer cancel()
	go projector.Run(ctx)
	c.NoError(<-waitFor(c, projector.Projection("tally"), log[len(log)-1].Position), "WaitFor(the last event)")
	c.Equal(fmt.Sprintf("%s 3 5000", short(bank.StreamID(adaID))), tallies(c, a, "tally"),
		"the rows (Ada's 3 events; nothing of Bob's: each refused event is rolled back to its own savepoint)")
	c.Equal(2, len(a.consumerDeadLetters(c, "tally")), "events parked")
}

func TestGuard_ABatchIsOneTransactionWithItsCheckpoint(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "a batch is one transaction with its checkpoint")
	a := newApp(c, t)
	p, _ := tally("tally", nil)
	projector := a.projector(c, p)
	execAll(c, a.db.Write, `CREATE TABLE moves (position INTEGER)`,
		`CREATE TRIGGER counted AFTER UPDATE ON checkpoints WHEN NEW.projection = 'tally' BEGIN INSERT INTO moves VALUES (NEW.position); END`)
	events := []bank.Event{opened(ada, "Ada Lovelace", "EUR")}
	for range 249 {
		events = append(events, bank.MoneyDeposited{Amount: 1})
	}
	a.appendLog(c, ada, events...)
	c.Doing("run the projector on 250 events (DefaultBatchSize is %d)", bank.DefaultBatchSize)
	ctx, cancel := context.WithCancel(c.Ctx())
	defer cancel()
	go projector.Run(ctx)
	c.NoError(<-waitFor(c, projector.Projection("tally"), 250), "WaitFor(250)")
	var moves string
	c.NoError(a.db.Read.QueryRow(`SELECT group_concat(position, ' ') FROM (SELECT position FROM moves ORDER BY rowid)`).Scan(&moves), "reading the checkpoint's moves")
	c.Equal("100 200 250", moves, "the checkpoint's moves (one per batch of 100, in the batch's transaction)")
	c.Equal(fmt.Sprintf("%s 250 249", short(bank.StreamID(adaID))), tallies(c, a, "tally"), "the rows")
}

func TestGuard_ABatchThatCannotCommitLeavesNothing(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "a batch that cannot commit leaves nothing")
	a := newApp(c, t)
	p, _ := tally("tally", nil)
	projector := a.projector(c, p)
	log := storyLog(c, a)
	execAll(c, a.db.Write, `CREATE TRIGGER stuck BEFORE UPDATE ON checkpoints WHEN NEW.projection = 'tally' BEGIN SELECT RAISE(ABORT, 'stuck'); END`)
	c.Doing("apply the story when the checkpoint cannot move")
	run := projector.Projection("tally")
	c.That(run.Handle(c.Ctx(), log[0]) != nil, "an error", "no error")
	c.Equal("", tallies(c, a, "tally"), "the rows (none: the rows go with their checkpoint)")
	c.Equal(int64(0), a.statusOf(c, projector, "tally").Checkpoint, "the checkpoint")
	execAll(c, a.db.Write, `DROP TRIGGER stuck`)
	c.NoError(run.Handle(c.Ctx(), log[0]), "applying event 1 once the checkpoint can move")
	c.Equal(fmt.Sprintf("%s 1 0", short(bank.StreamID(adaID))), tallies(c, a, "tally"), "the rows")
}

func TestGuard_ABusyDatabaseIsNoPoison(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "a busy database is no poison")
	a := newApp(c, t)
	busy := busyError(t)
	p, _ := tally("tally", func(bank.Envelope) error { return fmt.Errorf("writing the row: %w", busy) })
	projector := a.projector(c, p)
	log := storyLog(c, a)
	c.Doing("apply an event when the projection meets a busy database")
	err := projector.Projection("tally").Handle(c.Ctx(), log[0])
	c.That(sqlitedb.IsBusy(err), "the busy error, returned (the batch is to be tried again, not parked)", fmt.Sprintf("%v", err))
	c.Equal(0, len(a.consumerDeadLetters(c, "tally")), "events parked")
	c.Equal("", tallies(c, a, "tally"), "the rows")
	c.Equal(int64(0), a.statusOf(c, projector, "tally").Checkpoint, "the checkpoint")
}

func TestGuard_BatchedAndOneByOneGiveTheSameReadModel(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "batched and one by one give the same read model")
	batched, single := newApp(c, t), newApp(c, t)
	var last int64
	for _, a := range []*app{batched, single} {
		storyLog(c, a)
		spec.InsertEvent(c, a.db, bank.StreamID(adaID), 4, "MoneyTeleported", `{}`)
		for i := range 40 {
			a.appendMore(c, bob, bank.MoneyDeposited{Amount: int64(i + 1)})
			last = a.appendMore(c, ada, bank.MoneyWithdrawn{Amount: 3})[0].Position
		}
	}
	c.Doing("run the projections in batches of 7 in one bank, one event per batch in the other, on the same log")
	for _, side := range []struct {
		a    *app
		size int
	}{{batched, 7}, {single, 1}} {
		var projections []bank.Projection
		for _, p := range []bank.Projection{bank.AccountsByOwner(), bank.TransactionHistory(), bank.DailyTotals()} {
			p.BatchSize = side.size
			projections = append(projections, p)
		}
		projector := side.a.projector(c, projections...)
		ctx, cancel := context.WithCancel(c.Ctx())
		defer cancel()
		go projector.Run(ctx)
		for _, p := range projections {
			c.NoError(<-waitFor(c, projector.Projection(p.Name), last), fmt.Sprintf("WaitFor(%d) on %s, batches of %d", last, p.Name, side.size))
		}
	}
	c.Equal(readModels(c, single), readModels(c, batched), "the read models (batches of 7 against one by one)")
	c.Equal(len(single.consumerDeadLetters(c, bank.AccountsByOwnerProjection)), len(batched.consumerDeadLetters(c, bank.AccountsByOwnerProjection)), "events parked")
}

// statusOf is the projection called name of projector as GET /projections would show it.
func (a *app) statusOf(c *spec.Check, projector *bank.Projector, name string) bank.ProjectionStatus {
	statuses, err := projector.Statuses(c.Ctx())
	c.NoError(err, "Statuses")
	for _, s := range statuses {
		if s.Name == name {
			return s
		}
	}
	c.Fail("a projection called "+name, "none")
	return bank.ProjectionStatus{}
}
