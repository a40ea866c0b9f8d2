package crud_test

import (
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/01-crud"
)

// keepers says which file of this stage keeps each part of the bank's rules.
var keepers = spec.Keepers{
	"times":    "accounts_table.go (now), used by every UPDATE of balance_updates.go",
	"open":     "account.go (OpenAccount.Validate) and accounts_table.go (Accounts.Open)",
	"get":      "accounts_table.go (Accounts.Get) and http_api.go",
	"deposit":  "balance_updates.go (Accounts.Deposit)",
	"withdraw": "balance_updates.go (Accounts.Withdraw)",
	"close":    "balance_updates.go (Accounts.Close)",
}

func startBank(t *testing.T) *spec.Bank {
	api, db := newAPIWithDB(t)
	return &spec.Bank{API: api, DB: db, Stage: 1, Table: "accounts", NewServer: bank.NewServer}
}

// Test1_2_TheBankKeepsItsRules checks every rule of the bank through the API.
// It needs both tasks: deposits and withdrawals.
func Test1_2_TheBankKeepsItsRules(t *testing.T) {
	spec.CheckRules(t, stage, startBank, keepers, spec.RulesUpTo(1))
}

// Test1_2_RandomRequestsNeverBreakTheBank: whatever a client sends, the answer
// is below 500 and a refusal writes nothing.
func Test1_2_RandomRequestsNeverBreakTheBank(t *testing.T) {
	c := spec.For(t, stage)
	for _, seed := range []uint64{1, 2, 3} {
		c.CheckRandomRequests(startBank(t), seed, 300)
	}
}
