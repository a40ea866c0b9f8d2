package production_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/08-production"
	"github.com/google/uuid"
)

// Helpers of stage 6's projector tests: a real "database is busy" error, a
// projection of the tests' own, and the rows of the read models.

var (
	busyOnce sync.Once
	busy     error
)

// busyError is a real SQLITE_BUSY error from the driver, made once: what a
// write gets when another process holds the database's write lock past the
// busy timeout.
func busyError(t *testing.T) error {
	busyOnce.Do(func() {
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "busy.db")
		holder, err := sqlitedb.Open(path)
		if err != nil {
			busy = err
			return
		}
		defer holder.Close()
		other, err := sqlitedb.Open(path)
		if err != nil {
			busy = err
			return
		}
		defer other.Close()
		tx, err := holder.Write.BeginTx(ctx, nil)
		if err != nil {
			busy = err
			return
		}
		defer tx.Rollback()
		conn, err := other.Write.Conn(ctx)
		if err != nil {
			busy = err
			return
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `PRAGMA busy_timeout = 0`); err != nil {
			busy = err
			return
		}
		_, busy = conn.ExecContext(ctx, `CREATE TABLE t (a)`)
	})
	if !sqlitedb.IsBusy(busy) {
		t.Fatalf("making a SQLITE_BUSY error (test setup): got %v", busy)
	}
	return busy
}

// tally is a projection of the tests' own: a row per stream with how many of
// its events were applied and the sum of their deposits. Its Apply calls fail
// first, if set, which may refuse an event.
func tally(name string, fail func(e bank.Envelope) error) (bank.Projection, *atomic.Int64) {
	calls := new(atomic.Int64)
	return bank.Projection{
		Name: name, Version: 1, Tables: []string{name},
		Schema: []string{`CREATE TABLE {` + name + `} (stream TEXT PRIMARY KEY, events INTEGER NOT NULL, deposited INTEGER NOT NULL)`},
		Apply: func(ctx context.Context, rm bank.ReadModelTx, e bank.Envelope) error {
			calls.Add(1)
			var deposited int64
			if d, ok := e.Event.(bank.MoneyDeposited); ok {
				deposited = d.Amount
			}
			_, err := rm.Exec(ctx, `INSERT INTO {`+name+`} (stream, events, deposited) VALUES (?, 1, ?)
				ON CONFLICT (stream) DO UPDATE SET events = events + 1, deposited = deposited + excluded.deposited`, e.StreamID, deposited)
			if err != nil || fail == nil {
				return err
			}
			return fail(e)
		},
	}, calls
}

// projector wires projections of the tests' own on a's database.
func (a *app) projector(c *spec.Check, projections ...bank.Projection) *bank.Projector {
	p, err := bank.NewProjector(c.Ctx(), a.db, a.store, a.log, projections...)
	c.NoError(err, "NewProjector")
	return p
}

// tallies reads a tally projection's view: "stream events deposited" per row, in stream order.
func tallies(c *spec.Check, a *app, name string) string {
	rows, err := a.db.Read.Query(`SELECT stream, events, deposited FROM ` + name + ` ORDER BY stream`)
	c.NoError(err, "reading "+name)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var stream string
		var events, deposited int64
		c.NoError(rows.Scan(&stream, &events, &deposited), "reading "+name)
		out = append(out, fmt.Sprintf("%s %d %d", short(stream), events, deposited))
	}
	c.NoError(rows.Err(), "reading "+name)
	return strings.Join(out, "; ")
}

// short is a stream's name without the middle of its id.
func short(stream string) string {
	if len(stream) < 20 {
		return stream
	}
	return stream[:16] + "…" + stream[len(stream)-4:]
}

// readModels is every read model of the bank, as rows, for comparing two of
// them (without the times they were recorded at, which two logs do not share).
func readModels(c *spec.Check, a *app) string {
	var out []string
	for _, q := range []string{
		`SELECT account_id, owner, kind, currency, balance, status FROM accounts_by_owner ORDER BY account_id`,
		`SELECT account_id, version, position, kind, amount, reference, balance_after FROM account_transactions ORDER BY account_id, version`,
		`SELECT day, currency, deposited, withdrawn, deposits, withdrawals FROM daily_totals ORDER BY day, currency`,
		`SELECT account_id, currency FROM daily_totals_currencies ORDER BY account_id`,
	} {
		rows, err := a.db.Read.Query(q)
		c.NoError(err, q)
		cols, _ := rows.Columns()
		for rows.Next() {
			values := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range values {
				ptrs[i] = &values[i]
			}
			c.NoError(rows.Scan(ptrs...), q)
			out = append(out, strings.TrimSpace(fmt.Sprintln(values...)))
		}
		c.NoError(rows.Err(), q)
		rows.Close()
	}
	return strings.Join(out, "\n")
}

var errRefused = errors.New("refused by the test")

// appendMore appends events to an account's stream after whatever it holds.
func (a *app) appendMore(c *spec.Check, account uuid.UUID, events ...bank.Event) []bank.Envelope {
	var version int64
	stream := bank.StreamID(account.String())
	c.NoError(a.db.Read.QueryRow(`SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = ?`, stream).Scan(&version), "reading the stream's version (test setup)")
	stored, err := a.store.Append(c.Ctx(), stream, version, bank.Metadata{CorrelationID: "test", CausationID: "test", UserID: "test"}, events...)
	c.NoError(err, "appending events (test setup)")
	return stored
}
