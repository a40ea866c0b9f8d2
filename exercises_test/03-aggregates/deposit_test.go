package aggregates_test

import (
	"strings"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/03-aggregates"
)

func deposit(amount int64) func(*bank.Account) error {
	return func(a *bank.Account) error { return a.Deposit(amount, "") }
}

// Test3_3_DepositChecksItsAmountLikeWithdraw: Deposit is the pattern for task 3.3.
// The aggregate keeps its own rules, whoever calls it (the command handler checks
// the amount too, but the rule is the account's).
func Test3_3_DepositChecksItsAmountLikeWithdraw(t *testing.T) {
	c := spec.For(t, stage)
	for _, amount := range []int64{0, -1, bank.MaxAmount + 1} {
		var invalid *bank.ValidationError
		given(c, opened(bank.Savings, 0)).
			When("Deposit of a zero, negative or too large amount", on(deposit(amount))).
			ThenFails(&invalid)
	}
	var invalid *bank.ValidationError
	given(c, opened(bank.Savings, 0)).
		When("Deposit(5) with a reference of 141 characters", on(func(a *bank.Account) error { return a.Deposit(5, strings.Repeat("é", 141)) })).
		ThenFails(&invalid)
	given(c, opened(bank.Savings, 0)).
		When("Deposit(MaxAmount)", on(deposit(bank.MaxAmount))).
		Then(bank.MoneyDeposited{Amount: bank.MaxAmount})
}
