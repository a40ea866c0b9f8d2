package aggregates_test

import (
	"strings"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/03-aggregates"
)

// withdraw is the command Withdraw(amount) without a reference.
func withdraw(amount int64) func(*bank.Account) error {
	return withdrawFor(amount, "")
}

// withdrawFor is the command Withdraw(amount, reference).
func withdrawFor(amount int64, reference string) func(*bank.Account) error {
	return func(a *bank.Account) error { return a.Withdraw(amount, reference) }
}

func Test3_3_WithdrawRecordsTheFact(t *testing.T) {
	c := spec.For(t, stage)
	given(c, opened(bank.Checking, 10000), bank.MoneyDeposited{Amount: 5000}).
		When("Withdraw(3000)", on(withdraw(3000))).
		Then(bank.MoneyWithdrawn{Amount: 3000})
}

func Test3_3_WithdrawDownToTheOverdraftLimitAndNoFurther(t *testing.T) {
	c := spec.For(t, stage)
	given(c, opened(bank.Checking, 10000), bank.MoneyDeposited{Amount: 500}).
		When("Withdraw(10500): exactly to the limit", on(withdraw(10500))).
		Then(bank.MoneyWithdrawn{Amount: 10500})
	given(c, opened(bank.Checking, 10000), bank.MoneyDeposited{Amount: 500}).
		When("Withdraw(10501): one cent past the limit", on(withdraw(10501))).
		ThenFails(bank.ErrInsufficientFunds)
	given(c, opened(bank.Savings, 0), bank.MoneyDeposited{Amount: 100}).
		When("Withdraw(101) from savings holding 100", on(withdraw(101))).
		ThenFails(bank.ErrInsufficientFunds)
}

func Test3_3_AClosedAccountPaysNothingOut(t *testing.T) {
	c := spec.For(t, stage)
	given(c, opened(bank.Checking, 10000), bank.AccountClosed{}).
		When("Withdraw(1) from a closed account with an overdraft", on(withdraw(1))).
		ThenFails(bank.ErrAccountClosed)
}

func Test3_3_AmountsMustBePositive(t *testing.T) {
	c := spec.For(t, stage)
	for _, amount := range []int64{0, -500} {
		var invalid *bank.ValidationError
		given(c, opened(bank.Checking, 10000)).
			When("Withdraw of a zero or negative amount", on(withdraw(amount))).
			ThenFails(&invalid)
	}
}

func Test3_3_AWithdrawalKeepsItsReference(t *testing.T) {
	c := spec.For(t, stage)
	given(c, opened(bank.Checking, 10000), bank.MoneyDeposited{Amount: 5000, Reference: "salary March"}).
		When(`Withdraw(3000, "rent")`, on(withdrawFor(3000, "rent"))).
		Then(bank.MoneyWithdrawn{Amount: 3000, Reference: "rent"})
	long := strings.Repeat("ü", 141)
	var invalid *bank.ValidationError
	given(c, opened(bank.Checking, 10000)).
		When(`Withdraw(100, <a reference of 141 characters>)`, on(withdrawFor(100, long))).
		ThenFails(&invalid)
	given(c, opened(bank.Checking, 10000)).
		When(`Withdraw(100, "rent\n")`, on(withdrawFor(100, "rent\n"))).
		ThenFails(&invalid)
}

func Test3_4_TheStreamSaysWhyTheBalanceIsWhatItIs(t *testing.T) {
	c := spec.For(t, stage)
	api, _ := newAPI(t)
	c.CheckTheStreamSaysWhy(api, c.OpenAccount(api, "checking", 10000))
}
