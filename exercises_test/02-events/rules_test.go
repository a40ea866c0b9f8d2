package events_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/02-events"
)

// keepers says which file of this stage keeps each part of the bank's rules.
var keepers = spec.Keepers{
	"times":    "eventstore_append.go (seal)",
	"open":     "account.go (OpenAccount.Validate) and bank.go (Bank.Open)",
	"get":      "bank.go (Bank.Account), replay.go and http_api.go",
	"deposit":  "bank.go (Bank.Deposit)",
	"withdraw": "bank.go (Bank.Withdraw)",
	"close":    "bank.go (Bank.Close)",
	"events":   "eventstore_append.go (Append), metadata.go and http_events.go",
	"log":      "eventstore.go (ReadAll) and http_events.go (allEvents)",
	"store":    "eventstore.go (Load, scanEnvelopes) and registry.go (Decode)",
	"migrate":  "migrate_legacy.go (MigrateLegacyAccounts)",
	"conflict": "http_errors.go (problemFor) and eventstore_append.go (insertEvent)",
}

func startBank(t *testing.T) *spec.Bank {
	api, db := newAPI(t)
	return &spec.Bank{API: api, DB: db, Stage: 2, Table: "events", NewServer: bank.NewServer, Migrate: migrateLegacy}
}

// Test2_4_TheBankKeepsItsRules checks every rule of stages 1 and 2 through the
// API. It needs every task of the stage (the migration rules need 2.4).
func Test2_4_TheBankKeepsItsRules(t *testing.T) {
	spec.CheckRules(t, stage, startBank, keepers, spec.RulesUpTo(2))
}

// migrateLegacy runs this stage's migration for the shared migration rules.
func migrateLegacy(ctx context.Context, legacy *sql.DB, db *sqlitedb.DB, runID string) (spec.Migration, error) {
	store, err := bank.NewEventStore(ctx, db, bank.NewRegistry())
	if err != nil {
		return spec.Migration{}, err
	}
	r, err := bank.MigrateLegacyAccounts(ctx, legacy, store, runID)
	return spec.Migration{Migrated: r.Migrated, Skipped: r.Skipped, Changed: r.Changed}, err
}

// Test2_3_RandomRequestsNeverBreakTheBank: whatever a client sends, the answer
// is below 500 and a refusal writes nothing.
func Test2_3_RandomRequestsNeverBreakTheBank(t *testing.T) {
	c := spec.For(t, stage)
	for _, seed := range []uint64{1, 2, 3} {
		c.CheckRandomRequests(startBank(t), seed, 300)
	}
}
