package aggregates_test

import (
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
