package spec

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

// Migration is what one run of a stage's legacy migration reports.
type Migration struct {
	Migrated, Skipped int
	Changed           []string // ids of rows that changed since their migration
}

// MigrateFunc runs a stage's MigrateLegacyAccounts from legacy into the bank's
// database, with runID as the correlation id.
type MigrateFunc func(ctx context.Context, legacy *sql.DB, bank *sqlitedb.DB, runID string) (Migration, error)

// LegacyRow is one row of stage 1's accounts table.
type LegacyRow struct {
	ID, Owner, Kind, Status string
	Balance, Overdraft      int64
}

// LegacyRows: an overdrawn checking account, a savings account in credit, a closed one.
var LegacyRows = []LegacyRow{
	{"0190c6a8-0000-7000-8000-000000000001", "Ada Lovelace", "checking", "open", -4000, 10000},
	{"0190c6a8-0000-7000-8000-000000000002", "Grace Hopper", "savings", "open", 2500, 0},
	{"0190c6a8-0000-7000-8000-000000000003", "Alan Turing", "savings", "closed", 0, 0},
}

// LegacyDB builds a stage 1 database holding rows, as stage 1 would have left it.
func LegacyDB(c *Check, rows ...LegacyRow) *sqlitedb.DB {
	c.t.Helper()
	db, err := sqlitedb.Open(filepath.Join(c.t.TempDir(), "01-crud.db"))
	c.NoError(err, "opening the legacy database")
	c.t.Cleanup(func() { _ = db.Close() })
	_, err = db.Write.Exec(`CREATE TABLE accounts (id TEXT PRIMARY KEY, owner TEXT NOT NULL, kind TEXT NOT NULL,
		currency TEXT NOT NULL, balance INTEGER NOT NULL, overdraft_limit INTEGER NOT NULL, status TEXT NOT NULL,
		version INTEGER NOT NULL, updated_at TEXT NOT NULL)`)
	c.NoError(err, "creating the legacy table")
	AddLegacyRows(c, db, rows...)
	return db
}

// AddLegacyRows inserts rows into a legacy database.
func AddLegacyRows(c *Check, db *sqlitedb.DB, rows ...LegacyRow) {
	c.t.Helper()
	for _, r := range rows {
		_, err := db.Write.Exec(`INSERT INTO accounts VALUES (?, ?, ?, 'EUR', ?, ?, ?, 7, '2024-05-01T10:00:00Z')`,
			r.ID, r.Owner, r.Kind, r.Balance, r.Overdraft, r.Status)
		c.NoError(err, "inserting a legacy row")
	}
}

// migrate runs the migration and requires it to succeed.
func (b *Bank) migrate(c *Check, legacy *sqlitedb.DB) Migration {
	c.t.Helper()
	report, err := b.Migrate(c.Ctx(), legacy.Read, b.DB, "run-1")
	c.NoError(err, "MigrateLegacyAccounts")
	return report
}

func migrationRules() []Rule {
	return []Rule{
		{"legacy rows become accounts with their balance, status and an audit trail", 2, "migrate", func(c *Check, b *Bank) {
			legacy := LegacyDB(c, LegacyRows...)
			c.Doing("migrate 3 legacy rows")
			c.Equal(Migration{Migrated: 3}, b.migrate(c, legacy), "the report")
			wantTypes := [][]string{{"AccountOpened", "OpeningBalanceMigrated"}, {"AccountOpened", "OpeningBalanceMigrated"}, {"AccountOpened", "AccountClosed"}}
			for i, row := range LegacyRows {
				c.Doing("read legacy account %s (%s) through the API", row.ID, row.Owner)
				r := b.Account(c, row.ID)
				c.That(r.String("owner") == row.Owner && r.String("kind") == row.Kind && r.Int("balance") == row.Balance &&
					r.Int("overdraft_limit") == row.Overdraft && r.String("status") == row.Status && r.String("currency") == "EUR",
					fmt.Sprintf("%s, %s, balance %d, overdraft %d, %s, EUR", row.Owner, row.Kind, row.Balance, row.Overdraft, row.Status), r.Describe())
				events, _ := b.Events(c, "/accounts/"+row.ID+"/events")
				var types []string
				for _, e := range events {
					types = append(types, e.Type)
					c.That(e.Metadata["correlation_id"] == "run-1" && e.Metadata["user_id"] == "legacy-migration" &&
						strings.Contains(fmt.Sprint(e.Metadata["causation_id"]), row.ID),
						"metadata: correlation_id run-1, user_id legacy-migration, a causation_id naming the row", fmt.Sprintf("%v", e.Metadata))
				}
				c.Equal(strings.Join(wantTypes[i], ", "), strings.Join(types, ", "), "the stream's event types (what is known, nothing invented)")
			}
		}},
		{"the migration can run again: it adds only new rows and reports changed ones", 2, "migrate", func(c *Check, b *Bank) {
			legacy := LegacyDB(c, LegacyRows[:2]...)
			b.migrate(c, legacy)
			before := b.Rows(c)
			c.Doing("migrate the same rows again")
			c.Equal(Migration{Skipped: 2}, b.migrate(c, legacy), "the second run's report")
			c.Equal(before, b.Rows(c), "events after the second run")
			c.Doing("add a row to the legacy table, change a migrated one, migrate again")
			AddLegacyRows(c, legacy, LegacyRows[2])
			_, err := legacy.Write.Exec(`UPDATE accounts SET balance = balance + 900, version = version + 1 WHERE id = ?`, LegacyRows[1].ID)
			c.NoError(err, "updating a legacy row (test setup)")
			report := b.migrate(c, legacy)
			c.That(report.Migrated == 1 && report.Skipped == 1 && slices.Equal(report.Changed, []string{LegacyRows[1].ID}),
				fmt.Sprintf("1 migrated, 1 skipped, changed [%s] (a changed row is reported, never skipped in silence)", LegacyRows[1].ID),
				fmt.Sprintf("%+v", report))
			c.Equal(int64(2500), b.Account(c, LegacyRows[1].ID).Int("balance"), "the changed row's balance (its stream is not rewritten)")
		}},
		{"a migration that cannot read or write says so", 2, "migrate", func(c *Check, b *Bank) {
			c.Doing("migrate from a database without an accounts table")
			empty := LegacyDB(c)
			_, err := empty.Write.Exec(`DROP TABLE accounts`)
			c.NoError(err, "dropping the legacy table (test setup)")
			_, err = b.Migrate(c.Ctx(), empty.Read, b.DB, "run-1")
			c.That(err != nil, "an error", "no error")
			for _, bad := range []struct{ name, column, value string }{
				{"an id that is not a UUID", "id", "row-17"},
				{"a balance that is not a number", "balance", "lots"},
			} {
				c.Doing("migrate a legacy table with a row holding %s", bad.name)
				corrupt := LegacyDB(c, LegacyRows[0])
				_, err := corrupt.Write.Exec(`UPDATE accounts SET `+bad.column+` = ?`, bad.value)
				c.NoError(err, "corrupting the legacy row (test setup)")
				before := b.Rows(c)
				_, err = b.Migrate(c.Ctx(), corrupt.Read, b.DB, "run-1")
				c.That(err != nil, "an error naming the row, and nothing migrated", "no error")
				c.Equal(before, b.Rows(c), "events written by the refused migration")
			}
			c.Doing("migrate again when a migrated account's stream cannot be read")
			once := LegacyDB(c, LegacyRows[1])
			b.migrate(c, once)
			_, err = b.DB.Write.Exec(`UPDATE events SET data = '{' WHERE stream_id = ?`, "account-"+LegacyRows[1].ID)
			c.NoError(err, "corrupting the migrated stream (test setup)")
			_, err = b.Migrate(c.Ctx(), once.Read, b.DB, "run-2")
			c.That(err != nil, "an error: whether the row changed since its migration cannot be known", "no error")
			_, err = b.DB.Write.Exec(`DELETE FROM events WHERE stream_id = ?`, "account-"+LegacyRows[1].ID)
			c.NoError(err, "removing the corrupt stream (test setup)")
			c.Doing("migrate into an event store that refuses every insert")
			legacy := LegacyDB(c, LegacyRows...)
			_, err = b.DB.Write.Exec(`CREATE TRIGGER disk_full BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full'); END`)
			c.NoError(err, "making the events table refuse inserts (test setup)")
			_, err = b.Migrate(c.Ctx(), legacy.Read, b.DB, "run-1")
			c.That(err != nil, "an error", "no error")
		}},
	}
}
