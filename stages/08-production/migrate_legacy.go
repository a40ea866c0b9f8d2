package bank

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// Moving a CRUD system to event sourcing starts with what it has: current rows,
// no history. Each legacy row becomes the opening events of a stream, with the
// same account id. The migration can run again and again, while the old system
// still takes writes: new rows are migrated, a stream that exists is left alone,
// and a row that changed since its migration is reported, never silently
// skipped (deciding how to carry such a change over is a business decision).

// MigrationReport counts what one run of the migration did.
type MigrationReport struct {
	Migrated int `json:"migrated"` // streams created in this run
	Skipped  int `json:"skipped"`  // rows whose stream existed already, unchanged since
	// Changed lists the ids of rows updated in the legacy table after their
	// migration: their streams do not show those updates.
	Changed []string `json:"changed,omitempty"`
}

// legacyAccount is one row of stage 1's accounts table.
type legacyAccount struct {
	ID                      uuid.UUID
	Owner, Currency         string
	Kind                    Kind
	Status                  Status
	Balance, OverdraftLimit int64
	Version                 int64
	UpdatedAt               string
}

// MigrateLegacyAccounts writes opening events for every row of a stage 1 accounts
// table. runID ties all of one run's events together as their correlation id.
func MigrateLegacyAccounts(
	ctx context.Context, legacy *sql.DB, store *EventStore, runID string,
) (MigrationReport, error) {
	rows, err := readLegacyAccounts(ctx, legacy)
	if err != nil {
		return MigrationReport{}, err
	}
	var report MigrationReport
	for _, row := range rows {
		migrated, err := migrateAccount(ctx, store, row, runID)
		if err != nil {
			return report, err
		}
		if migrated {
			report.Migrated++
			continue
		}
		changed, err := changedSinceMigration(ctx, store, row)
		switch {
		case err != nil:
			return report, err
		case changed:
			report.Changed = append(report.Changed, row.ID.String())
		default:
			report.Skipped++
		}
	}
	return report, nil
}

// legacyCausation names the legacy row, at its version, that opening events came from.
func legacyCausation(row legacyAccount) string {
	return fmt.Sprintf("legacy-row:%s@%d", row.ID, row.Version)
}

// changedSinceMigration reports whether a row's version moved on since the run
// that migrated it: that run recorded the row's version in the causation id.
func changedSinceMigration(ctx context.Context, store *EventStore, row legacyAccount) (bool, error) {
	history, err := store.Load(ctx, StreamID(row.ID.String()))
	if err != nil {
		return false, fmt.Errorf("check legacy account %s against its stream: %w", row.ID, err)
	}
	if len(history) == 0 {
		return false, nil
	}
	return history[0].Metadata.CausationID != legacyCausation(row), nil
}

// migrateAccount appends one legacy row's opening events, unless its stream exists.
func migrateAccount(
	ctx context.Context, store *EventStore, row legacyAccount, runID string,
) (bool, error) {
	// The metadata lets an auditor tell migrated history from real history:
	// correlation id runID, causation id legacyCausation(row), user "legacy-migration".
	meta := Metadata{
		CorrelationID: runID,
		CausationID:   legacyCausation(row),
		UserID:        "legacy-migration",
	}
	_, err := store.Append(ctx, StreamID(row.ID.String()), 0, meta, openingEvents(row)...)
	if errors.Is(err, ErrConcurrency) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("migrate account %s: %w", row.ID, err)
	}
	return true, nil
}

// openingEvents states what is known of a legacy row: it was opened with these
// details, held this balance when migrated, and maybe was closed.
func openingEvents(row legacyAccount) []Event {
	events := []Event{AccountOpened{
		AccountID: row.ID.String(), Holder: Holder{LegalName: row.Owner, Type: Person}, Kind: row.Kind,
		Currency: row.Currency, OverdraftLimit: row.OverdraftLimit,
	}}
	if row.Balance != 0 {
		events = append(events, OpeningBalanceMigrated{
			Balance: row.Balance,
			Source:  "legacy accounts table, row updated " + row.UpdatedAt,
		})
	}
	if row.Status == StatusClosed {
		events = append(events, AccountClosed{})
	}
	return events
}

// readLegacyAccounts reads every row of stage 1's accounts table, oldest id first.
func readLegacyAccounts(ctx context.Context, legacy *sql.DB) ([]legacyAccount, error) {
	rows, err := legacy.QueryContext(ctx, `
		SELECT id, owner, kind, currency, balance, overdraft_limit, status, version, updated_at
		FROM accounts ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read legacy accounts: %w", err)
	}
	defer rows.Close()
	var out []legacyAccount
	for rows.Next() {
		var a legacyAccount
		var id string
		if err := rows.Scan(&id, &a.Owner, &a.Kind, &a.Currency, &a.Balance, &a.OverdraftLimit, &a.Status, &a.Version, &a.UpdatedAt); err != nil {
			return nil, fmt.Errorf("read legacy account: %w", err)
		}
		if a.ID, err = uuid.Parse(id); err != nil {
			return nil, fmt.Errorf("legacy account with malformed id %q: %w", id, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
