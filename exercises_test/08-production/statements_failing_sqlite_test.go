package production_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// A failing SQLite, for the errors no trigger can cause. When SQLite fails a
// statement with an I/O error inside a transaction, it rolls the whole
// transaction back; database/sql does not know, and the next statements on the
// connection run on their own, each committed at once. failingSQLite wraps a
// database's one write connection and does exactly that to the statements that
// start with a prefix: it rolls back, and answers "disk I/O error".

// failingConn is a driver connection whose statements starting with failing
// fail ("" fails none).
type failingConn struct {
	driver.Conn
	failing string
	// beforeExec, when set, is called with each statement before it runs: a test
	// holds a statement there. Set it before any goroutine writes.
	beforeExec func(query string)
	// beforeBegin, when set, is called before each transaction begins: an error
	// it returns is the driver's.
	beforeBegin func() error
}

var errInjected = errors.New("disk I/O error (injected by the test)")

func (f *failingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if f.beforeExec != nil {
		f.beforeExec(query)
	}
	if f.failing != "" && strings.HasPrefix(strings.TrimSpace(query), f.failing) {
		if _, err := f.Conn.(driver.ExecerContext).ExecContext(ctx, "ROLLBACK", nil); err != nil {
			return nil, err
		}
		return nil, errInjected
	}
	return f.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
}

func (f *failingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return f.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
}

func (f *failingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return f.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (f *failingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if f.beforeBegin != nil {
		if err := f.beforeBegin(); err != nil {
			return nil, err
		}
	}
	return f.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (f *failingConn) Close() error { return nil } // the connection belongs to the database it was taken from

// heldConnector hands out one connection, for sql.OpenDB.
type heldConnector struct{ conn driver.Conn }

func (h heldConnector) Connect(context.Context) (driver.Conn, error) { return h.conn, nil }
func (h heldConnector) Driver() driver.Driver                        { return nil }

// failingSQLite is db with its write connection wrapped: once the test sets the
// connection's failing prefix, those statements fail as SQLite fails on an I/O
// error. db's own write pool is taken meanwhile: write through the returned
// database only.
func failingSQLite(c *spec.Check, t *testing.T, db *sqlitedb.DB) (*sqlitedb.DB, *failingConn) {
	held, err := db.Write.Conn(c.Ctx())
	c.NoError(err, "taking the write connection (test setup)")
	t.Cleanup(func() { _ = held.Close() })
	var raw driver.Conn
	c.NoError(held.Raw(func(dc any) error { raw = dc.(driver.Conn); return nil }), "reaching the driver's connection (test setup)")
	conn := &failingConn{Conn: raw}
	write := sql.OpenDB(heldConnector{conn})
	write.SetMaxOpenConns(1)
	t.Cleanup(func() {
		// A transaction whose context has ended is rolled back by database/sql
		// in a goroutine of its own, a moment later: wait for it (bounded) before
		// the connection goes back to db, which closes it at the end of the test.
		for deadline := time.Now().Add(spec.Patience); write.Stats().InUse > 0 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		_ = write.Close()
	})
	return &sqlitedb.DB{Write: write, Read: db.Read}, conn
}

func TestGuard_AMessageTheDatabaseFailsOnHalfWayLeavesNothing(t *testing.T) {
	for _, failing := range []string{"SAVEPOINT", "ROLLBACK TO"} {
		c := spec.For(t, stage)
		db := spec.OpenDB(t)
		wrapped, conn := failingSQLite(c, t, db)
		log, _ := spec.NewServerLog()
		statements, err := bank.NewStatements(c.Ctx(), wrapped, log)
		c.NoError(err, "NewStatements")
		c.Doing("open Ada's statement")
		_, err = statements.Consume(c.Ctx(), openedMsg("m1", adaID, "EUR"))
		c.NoError(err, "Consume")
		execAll(c, wrapped.Write, `CREATE TRIGGER stuck BEFORE INSERT ON statement_lines BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`)
		conn.failing = failing
		c.Doing("consume a deposit while SQLite fails %s with an I/O error (and rolls the whole transaction back, as it does)", failing)
		outcome, err := statements.Consume(c.Ctx(), depositMsg("m2", adaID, 500, "EUR"))
		c.ErrorIs(err, errInjected, fmt.Sprintf("the database's error (the message is not %q: nothing of it was kept)", outcome))
		var parked, processed int
		var balance int64
		c.NoError(db.Read.QueryRow(`SELECT (SELECT count(*) FROM consumer_dead_letters), (SELECT count(*) FROM processed_messages WHERE message_id = 'm2'),
			(SELECT balance FROM statements WHERE account_id = ?)`, adaID).Scan(&parked, &processed, &balance), "reading the statement service's tables")
		c.Equal("0 parked, m2 recorded 0 times, balance 0", fmt.Sprintf("%d parked, m2 recorded %d times, balance %d", parked, processed, balance),
			"what is stored: nothing of m2 (a statement that went on after the failure would have run outside the rolled-back transaction, each committed on its own)")
		conn.failing = ""
		c.Doing("write again, after the message that failed")
		writeConnectionFree(c, wrapped)
	}
}
