package aggregates_test

import (
	"fmt"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/03-aggregates"
)

// Test3_1_AHistoryMustOpenTheAccountItNames: a stream without AccountOpened, or
// whose AccountOpened names no valid account id, is no account's history.
func Test3_1_AHistoryMustOpenTheAccountItNames(t *testing.T) {
	c := spec.For(t, stage)
	noOpening := history(bank.MoneyDeposited{Amount: 100}, bank.MoneyWithdrawn{Amount: 40})
	badID := []bank.Envelope{{StreamID: bank.StreamID("not-a-uuid"), Version: 1, Position: 10,
		Event: bank.AccountOpened{AccountID: "not-a-uuid", Kind: bank.Savings, Currency: "EUR"}}}
	for _, h := range []struct {
		name    string
		history []bank.Envelope
	}{
		{"a history of money events and no AccountOpened", noOpening},
		{"an AccountOpened whose account_id is not a UUID (stream account-not-a-uuid)", badID},
	} {
		c.Doing("Reconstitute %s", h.name)
		_, err := bank.NewAccountFactory().Reconstitute(h.history)
		c.ErrorIs(err, bank.ErrCorruptHistory, "an error wrapping ErrCorruptHistory (no account)")
	}
}

// Test3_1_ReconstituteAcceptsFactsThatBreakTodaysRules: rebuilding checks the
// history's shape, never the business rules: a withdrawal past today's limit
// happened, and the account is what its facts say.
func Test3_1_ReconstituteAcceptsFactsThatBreakTodaysRules(t *testing.T) {
	c := spec.For(t, stage)
	c.Doing("Reconstitute [AccountOpened savings, MoneyWithdrawn 500]")
	acc, err := bank.NewAccountFactory().Reconstitute(history(opened(bank.Savings, 0), bank.MoneyWithdrawn{Amount: 500}))
	c.NoError(err, "Reconstitute")
	c.That(acc.View().Balance == -500 && acc.Version() == 2, "balance -500 at version 2 (facts are not refused)", fmt.Sprintf("%+v", acc.View()))
}
