package production_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/08-production"
	"github.com/labstack/echo/v4"
)

// Helpers of stage 8's tests of snapshots: a server that takes one every few
// events, and the snapshots table read and changed behind its back.

// snapServer is the bank's server on a fresh database, taking a snapshot each
// time a stream passes a multiple of every events.
type snapServer struct {
	*spec.API
	db  *sqlitedb.DB
	app *bank.Application
}

// neverSnapshot is a SnapshotEvery no test's stream reaches: a server that takes no
// snapshot itself. (Not -1, which is task 8.2's rule: a test of loading must not
// fail, and blame 8.1, when that rule is wrong.)
const neverSnapshot int64 = 1 << 40

func newSnapServer(t *testing.T, every int64) *snapServer {
	return startSnapServer(t, spec.OpenDB(t), every)
}

// startSnapServer starts the server on db (again, after a restart: nothing in
// memory survives, only the file).
func startSnapServer(t *testing.T, db *sqlitedb.DB, every int64) *snapServer {
	s := &snapServer{db: db}
	s.API, _ = spec.StartAPIOn(t, db, func(ctx context.Context, db *sqlitedb.DB, log *slog.Logger) (*echo.Echo, error) {
		srv, err := bank.Start(ctx, db, log, bank.Options{SnapshotEvery: every})
		if err != nil {
			return nil, err
		}
		s.app = srv.App
		return srv.Echo, nil
	})
	return s
}

// deposit deposits amount into id and expects it to be stored.
func (s *snapServer) deposit(c *spec.Check, id string, amount int64) {
	r := s.Post("/accounts/"+id+"/deposits", map[string]any{"amount": amount, "reference": fmt.Sprintf("deposit of %d", amount)})
	c.NoStub(r)
	c.Status(r, http.StatusOK)
}

// balance is the account as GET /accounts/{id} reads it: its balance and version.
func (s *snapServer) balance(c *spec.Check, id string) (balance, version int64) {
	r := s.Get("/accounts/" + id)
	c.NoStub(r)
	c.Status(r, http.StatusOK)
	return r.Int("balance"), r.Int("version")
}

// snapRow is a row of the snapshots table.
type snapRow struct {
	Version      int64
	StateVersion int
	State        string
	TakenAt      string
}

// snapshotOf reads the account's row in the snapshots table; false if it has none.
func snapshotOf(c *spec.Check, db *sqlitedb.DB, id string) (snapRow, bool) {
	var r snapRow
	err := db.Read.QueryRowContext(c.Ctx(), `SELECT version, state_version, state, taken_at FROM snapshots WHERE stream_id = ?`,
		bank.StreamID(id)).Scan(&r.Version, &r.StateVersion, &r.State, &r.TakenAt)
	if errors.Is(err, sql.ErrNoRows) {
		return snapRow{}, false
	}
	c.NoError(err, "reading the snapshots table")
	return r, true
}

// describeSnapshot is a snapshot as a failure shows it.
func describeSnapshot(r snapRow, found bool) string {
	if !found {
		return "no snapshot"
	}
	return fmt.Sprintf("a snapshot at version %d (state version %d): %s", r.Version, r.StateVersion, r.State)
}

// setSnapshot changes the account's snapshot with an UPDATE of the snapshots
// table (set is its SET clause), as a test of what a load does with it.
func setSnapshot(c *spec.Check, db *sqlitedb.DB, id, set string, args ...any) {
	res, err := db.Write.ExecContext(c.Ctx(), `UPDATE snapshots SET `+set+` WHERE stream_id = ?`, append(args, bank.StreamID(id))...)
	c.NoError(err, "changing the snapshot (test setup)")
	n, _ := res.RowsAffected()
	c.That(n == 1, "a snapshot of the account to change (test setup)", "none")
}

// markedState is the state of Ada's checking account as a snapshot stores it,
// with balance as the balance: a test gives it a balance the events never had,
// so that a load that read the snapshot shows it.
func markedState(id string, balance int64) string { return stateOf(id, balance, 0) }

// stateOf is the whole state of Ada's open checking account (c.OpenAccount) as a
// snapshot stores it: every field the account's apply sets.
func stateOf(id string, balance, overdraft int64) string {
	return fmt.Sprintf(`{"id":%q,"owner":"Ada Lovelace","holder_type":"person","kind":"checking","currency":"EUR","balance":%d,"overdraft_limit":%d,"status":"open"}`, id, balance, overdraft)
}

// putSnapshot stores a snapshot of the account by hand, in place of any the
// server took (a test of loading must not depend on task 8.2).
func putSnapshot(c *spec.Check, db *sqlitedb.DB, id string, version int64, stateVersion int, state string) {
	_, err := db.Write.ExecContext(c.Ctx(), `INSERT OR REPLACE INTO snapshots (stream_id, version, state_version, state, taken_at) VALUES (?, ?, ?, ?, ?)`,
		bank.StreamID(id), version, stateVersion, state, time.Now().UTC().Format(time.RFC3339Nano))
	c.NoError(err, "storing a snapshot (test setup)")
}

// withMarkedSnapshot is an account of 7 events on a server that takes no
// snapshot itself: opened, 100 deposited five times (balance 500 at version 6)
// and 1000 more (1500 at version 7), and a snapshot stored by hand at version 6
// that says 777. A load that starts at the snapshot reads 777 + 1000 = 1777; a
// replay of the whole stream reads 1500.
func withMarkedSnapshot(c *spec.Check, t *testing.T) (*snapServer, string) {
	s := newSnapServer(t, neverSnapshot)
	id := c.OpenAccount(s.API, "checking", 0)
	for range 5 {
		s.deposit(c, id, 100)
	}
	s.deposit(c, id, 1000)
	putSnapshot(c, s.db, id, 6, bank.AccountStateVersion, markedState(id, 777))
	return s, id
}

// warnings are the WARN and ERROR lines of a server's log, as a failure that
// looked for one shows them (the INFO lines of each request would bury them).
func warnings(log string) string {
	var lines []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return "none (no WARN or ERROR line in the server's log)"
	}
	return "only these WARN and ERROR lines:\n" + strings.Join(lines, "\n")
}
