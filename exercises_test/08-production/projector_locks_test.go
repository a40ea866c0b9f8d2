package production_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/08-production"
	"github.com/google/uuid"
)

// Helpers of the projector's fault tests: another process that holds the
// database's write lock, a check that the write connection is free again, and a
// wait for a projection to stop.

// otherProcess is a second connection to the bank's file, as cmd/migrate or the
// sqlite3 shell would open it, in a transaction that holds SQLite's write lock.
type otherProcess struct {
	tx   *sql.Tx
	db   *sqlitedb.DB
	bank *sqlitedb.DB // whose busy timeout to set back, if it was shortened
	done sync.Once
}

// holdTheWriteLock makes another process take db's write lock and keep it until
// commit, and makes db's own writes give up after 20 ms of waiting for it (instead
// of sqlitedb.BusyTimeoutMillis): a busy database, at once. It ends with the test.
func holdTheWriteLock(c *spec.Check, t *testing.T, db *sqlitedb.DB) *otherProcess {
	p := takeTheWriteLock(c, t, db)
	execAll(c, db.Write, `PRAGMA busy_timeout = 20`)
	p.bank = db
	return p
}

// takeTheWriteLock makes another process take db's write lock and keep it until
// commit; db's writes wait for it, up to their busy timeout. It ends with the test.
func takeTheWriteLock(c *spec.Check, t *testing.T, db *sqlitedb.DB) *otherProcess {
	var file string
	c.NoError(db.Read.QueryRow(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file), "finding the database's file (test setup)")
	other, err := sqlitedb.Open(file)
	c.NoError(err, "opening the database's file in another process (test setup)")
	tx, err := other.Write.BeginTx(context.Background(), nil) // BEGIN IMMEDIATE: the write lock
	c.NoError(err, "taking the write lock in the other process (test setup)")
	p := &otherProcess{tx: tx, db: other}
	t.Cleanup(func() { _ = p.commit() })
	return p
}

// insertDeposit inserts a deposit of 200 into Ada's stream at version, in the
// other process's transaction, and returns its position.
func (p *otherProcess) insertDeposit(c *spec.Check, version int64) int64 {
	res, err := p.tx.Exec(`INSERT INTO events (event_id, stream_id, version, event_type, schema_version, data, metadata, recorded_at)
		VALUES (?, ?, ?, 'MoneyDeposited', 1, '{"amount":200}', '{}', ?)`, uuid.NewString(), bank.StreamID(adaID), version, time.Now().UTC().Format(time.RFC3339Nano))
	c.NoError(err, "appending in the other process (test setup)")
	position, err := res.LastInsertId()
	c.NoError(err, "appending in the other process (test setup)")
	return position
}

// commit ends the other process's transaction, which lets go of the lock, and
// gives the bank's database its usual busy timeout back.
func (p *otherProcess) commit() error {
	var err error
	p.done.Do(func() {
		err = p.tx.Commit()
		_ = p.db.Close()
		if p.bank == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), spec.Patience)
		defer cancel()
		_, _ = p.bank.Write.ExecContext(ctx, fmt.Sprintf(`PRAGMA busy_timeout = %d`, sqlitedb.BusyTimeoutMillis))
	})
	return err
}

// writeConnectionFree checks that db's write connection is free: a transaction that failed
// was rolled back, not left open. SQLite has one write connection; a transaction
// left open keeps it, and every later write waits for it.
func writeConnectionFree(c *spec.Check, db *sqlitedb.DB) {
	ctx, cancel := context.WithTimeout(c.Ctx(), spec.Patience)
	defer cancel()
	tx, err := db.Write.BeginTx(ctx, nil)
	if err == nil {
		err = tx.Commit()
	}
	c.NoError(err, fmt.Sprintf("a write within %s, after the failure (a transaction left open after an error keeps SQLite's one write connection)", spec.Patience))
}

// waitStopped waits until the projection called name of projector no longer
// runs, and returns its status then.
func waitStopped(c *spec.Check, a *app, projector *bank.Projector, name string) bank.ProjectionStatus {
	for deadline := time.Now().Add(spec.Patience); ; time.Sleep(2 * time.Millisecond) { // polling a condition, bounded
		s := a.statusOf(c, projector, name)
		if s.Status != "running" {
			return s
		}
		if time.Now().After(deadline) {
			c.Fail(fmt.Sprintf("%s stopping within %s", name, spec.Patience), jsonOf(s))
		}
	}
}

func TestGuard_AnIdleProjectionOutlastsAnotherProcessHoldingTheDatabase(t *testing.T) {
	c := spec.Guard(t, stage, "projector_retry.go", "an idle projection outlasts another process holding the database")
	c.KeptBy("projector.go (catchUp: a projection with nothing to read writes nothing)")
	a := newApp(c, t)
	p, _ := tally("tally", nil)
	projector := a.projector(c, p)
	c.Doing("another process (a migration, say) holds the database's write lock for 1.5 s, longer than the busy timeout " +
		"and every retry of a busy batch together, while the projection has nothing to apply; it appends a deposit and commits")
	other := holdTheWriteLock(c, t, a.db)
	runProjector(t, projector)
	deposit := other.insertDeposit(c, 1)
	time.Sleep(1500 * time.Millisecond) // holding the lock on purpose: a projection with nothing to apply must not need it
	c.NoError(other.commit(), "the other process's commit")
	c.Doing("wait for the deposit the other process appended (no signal: the projection's poll finds it)")
	c.NoError(<-waitFor(c, projector.Projection("tally"), deposit),
		"WaitFor(the deposit) (an idle projection takes no write lock: it cannot meet a busy database and stop)")
	s := a.statusOf(c, projector, "tally")
	c.That(s.Status == "running" && s.Checkpoint == deposit, fmt.Sprintf("tally running at checkpoint %d", deposit), jsonOf(s))
	c.Equal(fmt.Sprintf("%s 1 200", short(bank.StreamID(adaID))), tallies(c, a, "tally"), "the rows")
}
