package events_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/exercise"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/02-events"
	"github.com/google/uuid"
)

func migrate(c *spec.Check, legacy *sqlitedb.DB, store *bank.EventStore) bank.MigrationReport {
	report, err := bank.MigrateLegacyAccounts(c.Ctx(), legacy.Read, store, "run-1")
	c.NoError(err, "MigrateLegacyAccounts")
	return report
}

func Test2_4_LegacyRowsBecomeOpeningEvents(t *testing.T) {
	c := spec.For(t, stage)
	c.Doing("migrate 3 legacy rows")
	legacy := spec.LegacyDB(c, spec.LegacyRows...)
	store, _ := newStore(t)
	report := migrate(c, legacy, store)
	c.Equal(bank.MigrationReport{Migrated: 3, Skipped: 0}, report, "the report")
	for _, row := range spec.LegacyRows {
		c.Doing("replay the stream of legacy account %s (%s)", row.ID, row.Owner)
		history, err := store.Load(c.Ctx(), bank.StreamID(row.ID))
		c.NoError(err, "Load")
		c.That(len(history) > 0, "events in stream "+bank.StreamID(row.ID)+" (the legacy id, as StreamID names it)", "no events in that stream")
		acc, err := bank.Replay(history)
		c.NoError(err, "Replay")
		got := fmt.Sprintf("%s %s %s balance %d overdraft %d %s", acc.ID, acc.Owner, acc.Kind, acc.Balance, acc.OverdraftLimit, acc.Status)
		want := fmt.Sprintf("%s %s %s balance %d overdraft %d %s", uuid.MustParse(row.ID), row.Owner, row.Kind, row.Balance, row.Overdraft, row.Status)
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
	legacy := spec.LegacyDB(c, spec.LegacyRows...)
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
	legacy := spec.LegacyDB(c, spec.LegacyRows[:2]...)
	store, _ := newStore(t)
	migrate(c, legacy, store)
	spec.AddLegacyRows(c, legacy, spec.LegacyRows[2])
	c.Equal(bank.MigrationReport{Migrated: 1, Skipped: 2}, migrate(c, legacy, store), "the second run's report")
}

func Test2_4_ARowChangedAfterItsMigrationIsReported(t *testing.T) {
	c := spec.For(t, stage)
	c.Doing("migrate 3 legacy rows")
	legacy := spec.LegacyDB(c, spec.LegacyRows...)
	store, _ := newStore(t)
	migrate(c, legacy, store)
	c.Doing("deposit into a legacy row after it was migrated, then migrate again")
	_, err := legacy.Write.Exec(`UPDATE accounts SET balance = balance + 900, version = version + 1 WHERE id = ?`, spec.LegacyRows[1].ID)
	c.NoError(err, "updating the legacy row (test setup)")
	report := migrate(c, legacy, store)
	c.Equal(bank.MigrationReport{Skipped: 2, Changed: []string{spec.LegacyRows[1].ID}}, report,
		"the report (a changed row must be reported, never silently skipped)")
}

func Test2_4_AStreamThatCannotBeReadStopsTheMigration(t *testing.T) {
	c := spec.For(t, stage)
	c.Doing("migrate a legacy row whose stream already holds an event that cannot be decoded")
	legacy := spec.LegacyDB(c, spec.LegacyRows[0])
	store, db := newStore(t)
	_, err := db.Write.Exec(`INSERT INTO events (event_id, stream_id, version, event_type, schema_version, data, metadata, recorded_at)
		VALUES ('0190c6a8-0000-7000-8000-0000000000e1', ?, 1, 'AccountOpened', 1, '{"account_id": 5}', '{}', '2024-05-01T10:00:00Z')`,
		bank.StreamID(spec.LegacyRows[0].ID))
	c.NoError(err, "storing an unreadable event (test setup)")
	report, err := bank.MigrateLegacyAccounts(c.Ctx(), legacy.Read, store, "run-1")
	if _, todo := exercise.IsTodo(err); todo {
		c.NoError(err, "MigrateLegacyAccounts")
	}
	c.That(err != nil && strings.Contains(err.Error(), spec.LegacyRows[0].ID),
		"an error that names the account: a stream the migration cannot read is neither skipped nor reported as changed",
		fmt.Sprintf("report %+v, error %v", report, err))
}
