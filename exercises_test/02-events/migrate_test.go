package events_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/exercise"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/02-events"
	"github.com/google/uuid"
)

// legacyRow is one row of stage 1's accounts table.
type legacyRow struct {
	id, owner, kind, status string
	balance, overdraft      int64
}

var legacyRows = []legacyRow{
	{"0190c6a8-0000-7000-8000-000000000001", "Ada Lovelace", "checking", "open", -4000, 10000},
	{"0190c6a8-0000-7000-8000-000000000002", "Grace Hopper", "savings", "open", 2500, 0},
	{"0190c6a8-0000-7000-8000-000000000003", "Alan Turing", "savings", "closed", 0, 0},
}

// legacyDB builds a stage 1 database with the given rows, as stage 1 would have left it.
func legacyDB(c *spec.Check, t *testing.T, rows ...legacyRow) *sqlitedb.DB {
	db, err := sqlitedb.Open(filepath.Join(t.TempDir(), "01-crud.db"))
	c.NoError(err, "opening the legacy database")
	t.Cleanup(func() { _ = db.Close() })
	_, err = db.Write.Exec(`CREATE TABLE accounts (id TEXT PRIMARY KEY, owner TEXT NOT NULL, kind TEXT NOT NULL,
		currency TEXT NOT NULL, balance INTEGER NOT NULL, overdraft_limit INTEGER NOT NULL, status TEXT NOT NULL,
		version INTEGER NOT NULL, updated_at TEXT NOT NULL)`)
	c.NoError(err, "creating the legacy table")
	addLegacyRows(c, db, rows...)
	return db
}

func addLegacyRows(c *spec.Check, db *sqlitedb.DB, rows ...legacyRow) {
	for _, r := range rows {
		_, err := db.Write.Exec(`INSERT INTO accounts VALUES (?, ?, ?, 'EUR', ?, ?, ?, 7, '2024-05-01T10:00:00Z')`,
			r.id, r.owner, r.kind, r.balance, r.overdraft, r.status)
		c.NoError(err, "inserting a legacy row")
	}
}

func migrate(c *spec.Check, legacy *sqlitedb.DB, store *bank.EventStore) bank.MigrationReport {
	report, err := bank.MigrateLegacyAccounts(c.Ctx(), legacy.Read, store, "run-1")
	c.NoError(err, "MigrateLegacyAccounts")
	return report
}

func Test2_4_LegacyRowsBecomeOpeningEvents(t *testing.T) {
	c := spec.For(t, stage)
	c.Doing("migrate 3 legacy rows")
	legacy := legacyDB(c, t, legacyRows...)
	store, _ := newStore(t)
	report := migrate(c, legacy, store)
	c.Equal(bank.MigrationReport{Migrated: 3, Skipped: 0}, report, "the report")
	for _, row := range legacyRows {
		c.Doing("replay the stream of legacy account %s (%s)", row.id, row.owner)
		history, err := store.Load(c.Ctx(), bank.StreamID(row.id))
		c.NoError(err, "Load")
		c.That(len(history) > 0, "events in stream "+bank.StreamID(row.id)+" (the legacy id, as StreamID names it)", "no events in that stream")
		acc, err := bank.Replay(history)
		c.NoError(err, "Replay")
		got := fmt.Sprintf("%s %s %s balance %d overdraft %d %s", acc.ID, acc.Owner, acc.Kind, acc.Balance, acc.OverdraftLimit, acc.Status)
		want := fmt.Sprintf("%s %s %s balance %d overdraft %d %s", uuid.MustParse(row.id), row.owner, row.kind, row.balance, row.overdraft, row.status)
		c.Equal(want, got, "the account replayed from its opening events")
		c.That(len(history) > 0 && history[0].Type == "AccountOpened", "a stream that starts with AccountOpened", fmt.Sprintf("%d events", len(history)))
		m := history[0].Metadata
		c.That(m.CorrelationID == "run-1" && m.UserID == "legacy-migration" && m.CausationID != "",
			"metadata: correlation_id run-1, user_id legacy-migration, a causation_id naming the row", fmt.Sprintf("%+v", m))
	}
}

func Test2_4_RunningTheMigrationTwiceAddsNothing(t *testing.T) {
	c := spec.For(t, stage)
	c.Doing("migrate, then migrate again")
	legacy := legacyDB(c, t, legacyRows...)
	store, db := newStore(t)
	migrate(c, legacy, store)
	before := countEvents(c, db)
	report := migrate(c, legacy, store)
	c.Equal(bank.MigrationReport{Migrated: 0, Skipped: 3}, report, "the second run's report")
	c.Equal(before, countEvents(c, db), "events after the second run")
}

func Test2_4_ALaterRunPicksUpNewRowsOnly(t *testing.T) {
	c := spec.For(t, stage)
	c.Doing("migrate 2 rows, add a third to the legacy table, migrate again")
	legacy := legacyDB(c, t, legacyRows[:2]...)
	store, _ := newStore(t)
	migrate(c, legacy, store)
	addLegacyRows(c, legacy, legacyRows[2])
	c.Equal(bank.MigrationReport{Migrated: 1, Skipped: 2}, migrate(c, legacy, store), "the second run's report")
}

func Test2_4_ARowChangedAfterItsMigrationIsReported(t *testing.T) {
	c := spec.For(t, stage)
	c.Doing("migrate 3 legacy rows")
	legacy := legacyDB(c, t, legacyRows...)
	store, _ := newStore(t)
	migrate(c, legacy, store)
	c.Doing("deposit into a legacy row after it was migrated, then migrate again")
	_, err := legacy.Write.Exec(`UPDATE accounts SET balance = balance + 900, version = version + 1 WHERE id = ?`, legacyRows[1].id)
	c.NoError(err, "updating the legacy row (test setup)")
	report := migrate(c, legacy, store)
	c.Equal(bank.MigrationReport{Skipped: 2, Changed: []string{legacyRows[1].id}}, report,
		"the report (a changed row must be reported, never silently skipped)")
}

func Test2_4_AStreamThatCannotBeReadStopsTheMigration(t *testing.T) {
	c := spec.For(t, stage)
	c.Doing("migrate a legacy row whose stream already holds an event that cannot be decoded")
	legacy := legacyDB(c, t, legacyRows[0])
	store, db := newStore(t)
	_, err := db.Write.Exec(`INSERT INTO events (event_id, stream_id, version, event_type, schema_version, data, metadata, recorded_at)
		VALUES ('0190c6a8-0000-7000-8000-0000000000e1', ?, 1, 'AccountOpened', 1, '{"account_id": 5}', '{}', '2024-05-01T10:00:00Z')`,
		bank.StreamID(legacyRows[0].id))
	c.NoError(err, "storing an unreadable event (test setup)")
	report, err := bank.MigrateLegacyAccounts(c.Ctx(), legacy.Read, store, "run-1")
	if _, todo := exercise.IsTodo(err); todo {
		c.NoError(err, "MigrateLegacyAccounts")
	}
	c.That(err != nil && strings.Contains(err.Error(), legacyRows[0].id),
		"an error that names the account: a stream the migration cannot read is neither skipped nor reported as changed",
		fmt.Sprintf("report %+v, error %v", report, err))
}
