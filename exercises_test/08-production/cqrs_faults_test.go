package production_test

import (
	"context"
	"database/sql"
	"net/http"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// execAll runs setup statements and requires them to succeed.
func execAll(c *spec.Check, db interface {
	Exec(string, ...any) (sql.Result, error)
}, statements ...string) {
	for _, s := range statements {
		_, err := db.Exec(s)
		c.NoError(err, "test setup: "+s)
	}
}

func TestGuard_AServerDoesNotStartOnTablesItCannotUse(t *testing.T) {
	c := spec.Guard(t, stage, "eventstore.go (NewEventStore), projector.go (NewProjector), statements.go (NewStatements) and application.go", "a server does not start on tables it cannot use")
	checkpoints := `CREATE TABLE checkpoints (projection TEXT PRIMARY KEY, position INTEGER NOT NULL)`
	for _, setup := range []struct {
		name       string
		statements []string
	}{
		{"an index named idempotency_keys", []string{`CREATE TABLE t (a)`, `CREATE INDEX idempotency_keys ON t (a)`}},
		{"an index named checkpoints", []string{`CREATE TABLE t (a)`, `CREATE INDEX checkpoints ON t (a)`}},
		{"an index named account_transactions", []string{`CREATE TABLE t (a)`, `CREATE INDEX account_transactions ON t (a)`}},
		{"an index named statements (the statement service's table)", []string{`CREATE TABLE t (a)`, `CREATE INDEX statements ON t (a)`}},
		{"an index named statement_lines", []string{`CREATE TABLE t (a)`, `CREATE INDEX statement_lines ON t (a)`}},
		{"an index named processed_messages", []string{`CREATE TABLE t (a)`, `CREATE INDEX processed_messages ON t (a)`}},
		{"a checkpoints table that refuses new rows", []string{checkpoints, `CREATE TRIGGER no_new BEFORE INSERT ON checkpoints BEGIN SELECT RAISE(ABORT, 'read-only'); END`}},
		{"a checkpoint that is not a number", []string{checkpoints, `INSERT INTO checkpoints VALUES ('accounts_by_owner', 'lots')`}},
		{"a checkpoints table that refuses every insert, even of a row it has", []string{checkpoints,
			`INSERT INTO checkpoints VALUES ('account_transactions', 0), ('accounts_by_owner', 0), ('daily_totals', 0)`,
			`CREATE TRIGGER no_new BEFORE INSERT ON checkpoints BEGIN SELECT RAISE(ABORT, 'read-only'); END`}},
	} {
		c.Doing("NewServer on a database with %s", setup.name)
		db := spec.OpenDB(t)
		execAll(c, db.Write, setup.statements...)
		log, _ := spec.NewServerLog()
		ctx, cancel := context.WithCancel(c.Ctx())
		_, err := bank.NewServer(ctx, db, log)
		cancel()
		c.That(err != nil, "an error: the server cannot use its tables", "no error")
	}
}

func TestGuard_AReadModelThatCannotBeReadIsAnError(t *testing.T) {
	c := spec.Guard(t, stage, "read_model_owners.go, read_model_daily_totals.go and http_queries.go (answerQuery)", "a read model that cannot be read is an error, never an empty answer")
	log := logOf(opened(ada, "Ada Lovelace", "EUR"), at(1, 0), bank.MoneyDeposited{Amount: 5})
	for _, bad := range []struct {
		name, setup string
		query       func(a *app) error
	}{
		{"accounts_by_owner gone", `DROP VIEW accounts_by_owner`, owners},
		{"a balance that is not a number", `UPDATE accounts_by_owner_blue SET balance = 'lots'`, owners},
		{"daily_totals gone", `DROP VIEW daily_totals`, totals},
		{"a total that is not a number", `UPDATE daily_totals_blue SET deposited = 'lots'`, totals},
	} {
		c.Doing("query a read model with %s", bad.name)
		a := newApp(c, t)
		c.NoError(a.apply(c, bank.AccountsByOwnerProjection, log...), "applying the log")
		c.NoError(a.apply(c, bank.DailyTotalsProjection, log...), "applying the log")
		execAll(c, a.db.Write, bad.setup)
		c.That(bad.query(a) != nil, "an error", "no error")
	}
	c.Doing("GET /accounts?owner=Ada with the read model's table gone")
	api, db := newAPI(t)
	execAll(c, db.Write, `DROP VIEW accounts_by_owner`)
	r := api.Get("/accounts?owner=Ada")
	c.Status(r, http.StatusInternalServerError)
}

func owners(a *app) error {
	_, err := a.Queries.AccountsByOwner(context.Background(), bank.OwnerQuery{Owner: "Ada Lovelace", Limit: 10})
	return err
}

func totals(a *app) error {
	_, err := a.Queries.DailyTotals(context.Background(), bank.DailyTotalsQuery{From: "2024-05-01", To: "2024-05-01"})
	return err
}

func TestGuard_AnEventThatCannotBeAppliedMovesNothing(t *testing.T) {
	c := spec.Guard(t, stage, "projector.go (Handle)", "an event that cannot be applied, or whose checkpoint cannot move, leaves no row and no checkpoint behind")
	a := newApp(c, t)
	log := logOf(opened(ada, "Ada Lovelace", "EUR"))
	c.Doing("apply AccountOpened with a context that has ended")
	cancelled, cancel := context.WithCancel(c.Ctx())
	cancel()
	c.That(a.Projector.Projection(bank.AccountsByOwnerProjection).Handle(cancelled, log[0]) != nil, "an error", "no error")
	c.Doing("apply AccountOpened when its checkpoint cannot be moved")
	execAll(c, a.db.Write, `CREATE TRIGGER stuck BEFORE UPDATE ON checkpoints BEGIN SELECT RAISE(ABORT, 'stuck'); END`)
	c.That(a.apply(c, bank.AccountsByOwnerProjection, log[0]) != nil, "an error", "no error")
	c.Equal(int64(0), a.status(c, bank.AccountsByOwnerProjection).Checkpoint, "the checkpoint")
	page, err := a.Queries.AccountsByOwner(c.Ctx(), bank.OwnerQuery{Owner: "Ada Lovelace", Limit: 10})
	c.NoError(err, "AccountsByOwner")
	c.Equal(0, len(page.Accounts), "accounts in the read model (the row went with the checkpoint: neither)")
	c.Doing("write again after the failure: the failed transaction let go of the write connection")
	ctx, cancel := context.WithTimeout(c.Ctx(), 5*time.Second)
	defer cancel()
	_, err = a.db.Write.ExecContext(ctx, `DROP TRIGGER stuck`)
	c.NoError(err, "DROP TRIGGER (a transaction left open would hold SQLite's one write connection)")
	c.Doing("apply AccountOpened when its commit fails (a deferred foreign key, checked at COMMIT)")
	execAll(c, a.db.Write, `PRAGMA foreign_keys = ON`, `CREATE TABLE parent (id TEXT PRIMARY KEY)`,
		`CREATE TABLE child (parent TEXT REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)`,
		`CREATE TRIGGER orphan AFTER INSERT ON accounts_by_owner_blue BEGIN INSERT INTO child VALUES ('nobody'); END`)
	c.That(a.apply(c, bank.AccountsByOwnerProjection, log[0]) != nil, "an error from the commit", "no error")
	c.Equal(int64(0), a.status(c, bank.AccountsByOwnerProjection).Checkpoint, "the checkpoint (nothing was committed)")
}

func TestGuard_RunReturnsOnlyOnceEveryProjectionHasStopped(t *testing.T) {
	c := spec.Guard(t, stage, "projector.go (Run)", "Run returns once all its goroutines have ended, not before")
	db := spec.OpenDB(t)
	a := openApp(c, db)
	a.appendLog(c, ada, opened(ada, "Ada Lovelace", "EUR"))
	entered, release := make(chan struct{}), make(chan struct{})
	slow := bank.Projection{Name: "slow", Version: 1, Apply: func(context.Context, bank.ReadModelTx, bank.Envelope) error {
		close(entered)
		<-release
		return nil
	}}
	p, err := bank.NewProjector(c.Ctx(), db, a.store, a.log, slow)
	c.NoError(err, "NewProjector")
	ctx, cancel := context.WithCancel(c.Ctx())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	defer func() {
		cancel()
		select {
		case <-release:
		default:
			close(release)
		}
		<-done
	}()
	c.Doing("stop the projector while its projection is in the middle of an event")
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		c.Fail("the slow projection applies the event", "it was not called within 5s")
	}
	cancel()
	select {
	case <-done:
		c.Fail("Run still running: a projection has not finished its event", "Run returned")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		c.Fail("Run returns once the projection has stopped", "still running after 5s")
	}
}
