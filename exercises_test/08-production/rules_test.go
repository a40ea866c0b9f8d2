package production_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// keepers says which file of this stage keeps each part of the bank's rules.
var keepers = spec.Keepers{
	"times":       "eventstore_append.go (seal)",
	"open":        "open_account.go (OpenAccount.Validate) and account_factory.go (Open)",
	"get":         "account_repository.go (Load), account_factory.go (Reconstitute) and http_api.go",
	"deposit":     "account_aggregate.go (Account.Deposit)",
	"withdraw":    "account_aggregate.go (Account.Withdraw)",
	"close":       "account_aggregate.go (Account.Close)",
	"events":      "eventstore_append.go (Append), dispatcher.go (identified) and http_events.go",
	"log":         "eventstore.go (ReadAll) and http_events.go (allEvents)",
	"store":       "eventstore.go (Load, scanEnvelopes) and registry.go (Decode)",
	"migrate":     "migrate_legacy.go (MigrateLegacyAccounts)",
	"conflict":    "command_handler.go (execute), http_errors.go and eventstore_append.go (insertEvent)",
	"pipeline":    "dispatcher.go (validated, identified) and the commands' Validate (deposit_money.go, ...)",
	"idempotency": "idempotency.go (checkKey, recordKey), eventstore_append.go (AppendOnce) and command_handler.go (execute)",
	"read models": "projector.go (WaitFor), queries.go (consistent) and read_model_*.go",
	"projector":   "projector.go",
	"outbox":      "integration_events.go (integrationEvent), outbox.go (enqueue) and eventstore_append.go (AppendOnce)",
	"relay":       "relay.go (ready, deliver, failed), outbox_status.go and http_outbox.go",
	"statements":  "statements.go (consume), statements_apply.go and http_statements.go",
	"rebuild":     "projection_rebuild.go (Rebuild, switchTo), read_model_builds.go and projector_batch.go",
}

func startBank(t *testing.T) *spec.Bank {
	api, db := newAPI(t)
	return &spec.Bank{API: api, DB: db, Stage: 6, Table: "events", NewServer: bank.NewServer, Migrate: migrateLegacy}
}

// TestGuard_TheBankKeepsItsRules checks every rule of stages 1 to 7 through the
// API. It needs every task of the stage.
func TestGuard_TheBankKeepsItsRules(t *testing.T) {
	spec.CheckRules(t, stage, startBank, keepers, spec.RulesUpTo(7))
}

// TestGuard_RandomRequestsNeverBreakTheBank: whatever a client sends, the answer
// is below 500 and a refusal writes nothing. It needs the statement service and the projections.
func TestGuard_RandomRequestsNeverBreakTheBank(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "random requests never break the bank")
	for _, seed := range []uint64{1, 2, 3} {
		c.CheckRandomRequests(startBank(t), seed, 300)
	}
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
