package production_test

// The aggregate and its factory are stage 3's, unchanged. The command pipeline
// validates a command before it reaches them, and they still keep every rule
// themselves: these are stage 3's tests of them, kept as guards.

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// openedAs is AccountOpened for Ada's account with the given kind and overdraft.
func openedAs(kind bank.Kind, overdraft int64) bank.AccountOpened {
	return bank.AccountOpened{AccountID: adaID, Holder: bank.Holder{LegalName: "Ada Lovelace", Type: bank.Person}, Kind: kind, Currency: "EUR", OverdraftLimit: overdraft}
}

// history wraps events as the stored stream of Ada's account, versions 1, 2, 3...
func history(events ...bank.Event) []bank.Envelope {
	out := make([]bank.Envelope, len(events))
	for i, e := range events {
		out[i] = bank.Envelope{StreamID: bank.StreamID(adaID), Version: int64(i + 1), Position: int64(10 * (i + 1)), Event: e}
	}
	return out
}

// given starts a Given/When/Then scenario for the Account aggregate.
func given(c *spec.Check, events ...bank.Event) *spec.Scenario[bank.Event] {
	return spec.Given(c, events...)
}

// on runs a command on the account rebuilt (by the factory) from the scenario's history.
func on(command func(*bank.Account) error) func([]bank.Event) ([]bank.Event, error) {
	return func(past []bank.Event) ([]bank.Event, error) {
		acc, err := bank.NewAccountFactory().Reconstitute(history(past...))
		if err != nil {
			return nil, err
		}
		err = command(acc)
		return acc.Changes(), err
	}
}

func deposit(amount int64) func(*bank.Account) error {
	return func(a *bank.Account) error { return a.Deposit(amount, "") }
}

// TestGuard_DepositChecksItsAmountLikeWithdraw: Deposit was the pattern for task 3.3.
// The aggregate keeps its own rules, whoever calls it (the command handler checks
// the amount too, but the rule is the account's).
func TestGuard_DepositChecksItsAmountLikeWithdraw(t *testing.T) {
	c := spec.Guard(t, stage, "account_aggregate.go (Account.Deposit)", "the account checks a deposit's amount and reference itself, whoever calls it")
	for _, amount := range []int64{0, -1, bank.MaxAmount + 1} {
		var invalid *bank.ValidationError
		given(c, openedAs(bank.Savings, 0)).
			When("Deposit of a zero, negative or too large amount", on(deposit(amount))).
			ThenFails(&invalid)
	}
	var invalid *bank.ValidationError
	given(c, openedAs(bank.Savings, 0)).
		When("Deposit(5) with a reference of 141 characters", on(func(a *bank.Account) error { return a.Deposit(5, strings.Repeat("é", 141)) })).
		ThenFails(&invalid)
	given(c, openedAs(bank.Savings, 0)).
		When("Deposit(MaxAmount)", on(deposit(bank.MaxAmount))).
		Then(bank.MoneyDeposited{Amount: bank.MaxAmount})
}

// withdraw is the command Withdraw(amount) without a reference.
func withdraw(amount int64) func(*bank.Account) error {
	return withdrawFor(amount, "")
}

// withdrawFor is the command Withdraw(amount, reference).
func withdrawFor(amount int64, reference string) func(*bank.Account) error {
	return func(a *bank.Account) error { return a.Withdraw(amount, reference) }
}

func TestGuard_WithdrawRecordsTheFact(t *testing.T) {
	c := spec.Guard(t, stage, "account_aggregate.go (Account.Withdraw)", "a withdrawal records MoneyWithdrawn")
	given(c, openedAs(bank.Checking, 10000), bank.MoneyDeposited{Amount: 5000}).
		When("Withdraw(3000)", on(withdraw(3000))).
		Then(bank.MoneyWithdrawn{Amount: 3000})
}

func TestGuard_WithdrawDownToTheOverdraftLimitAndNoFurther(t *testing.T) {
	c := spec.Guard(t, stage, "account_aggregate.go (Account.Withdraw)", "a withdrawal may reach the overdraft limit, never pass it")
	given(c, openedAs(bank.Checking, 10000), bank.MoneyDeposited{Amount: 500}).
		When("Withdraw(10500): exactly to the limit", on(withdraw(10500))).
		Then(bank.MoneyWithdrawn{Amount: 10500})
	given(c, openedAs(bank.Checking, 10000), bank.MoneyDeposited{Amount: 500}).
		When("Withdraw(10501): one cent past the limit", on(withdraw(10501))).
		ThenFails(bank.ErrInsufficientFunds)
	given(c, openedAs(bank.Savings, 0), bank.MoneyDeposited{Amount: 100}).
		When("Withdraw(101) from savings holding 100", on(withdraw(101))).
		ThenFails(bank.ErrInsufficientFunds)
}

func TestGuard_AClosedAccountPaysNothingOut(t *testing.T) {
	c := spec.Guard(t, stage, "account_aggregate.go (Account.Withdraw)", "a closed account pays nothing out")
	given(c, openedAs(bank.Checking, 10000), bank.AccountClosed{}).
		When("Withdraw(1) from a closed account with an overdraft", on(withdraw(1))).
		ThenFails(bank.ErrAccountClosed)
}

func TestGuard_AmountsMustBePositive(t *testing.T) {
	c := spec.Guard(t, stage, "account_aggregate.go (Account.Withdraw)", "the account refuses amounts that are not positive")
	for _, amount := range []int64{0, -500} {
		var invalid *bank.ValidationError
		given(c, openedAs(bank.Checking, 10000)).
			When("Withdraw of a zero or negative amount", on(withdraw(amount))).
			ThenFails(&invalid)
	}
}

func TestGuard_AWithdrawalKeepsItsReference(t *testing.T) {
	c := spec.Guard(t, stage, "account_aggregate.go (Account.Withdraw)", "a withdrawal keeps its reference, and the account refuses a malformed one")
	given(c, openedAs(bank.Checking, 10000), bank.MoneyDeposited{Amount: 5000, Reference: "salary March"}).
		When(`Withdraw(3000, "rent")`, on(withdrawFor(3000, "rent"))).
		Then(bank.MoneyWithdrawn{Amount: 3000, Reference: "rent"})
	long := strings.Repeat("ü", 141)
	var invalid *bank.ValidationError
	given(c, openedAs(bank.Checking, 10000)).
		When(`Withdraw(100, <a reference of 141 characters>)`, on(withdrawFor(100, long))).
		ThenFails(&invalid)
	given(c, openedAs(bank.Checking, 10000)).
		When(`Withdraw(100, "rent\n")`, on(withdrawFor(100, "rent\n"))).
		ThenFails(&invalid)
}

func TestGuard_RetryPausesStayWithinTheirBounds(t *testing.T) {
	c := spec.Guard(t, stage, "command_handler.go (RetryPause)", "retry pauses are bounded and back off")
	attempts := []int{math.MinInt, -1, 0}
	for n := 1; n <= 100; n++ {
		attempts = append(attempts, n)
	}
	attempts = append(attempts, 1<<20, 1<<40, math.MaxInt32, math.MaxInt-1, math.MaxInt)
	for _, attempt := range attempts {
		c.Doing("RetryPause(%d), 20 times (it is random)", attempt)
		for range 20 {
			d := bank.RetryPause(attempt)
			c.That(d > 0 && d <= 32*time.Millisecond, "a pause above 0 and at most 32ms, for any attempt number", d.String())
			if attempt <= 1 {
				c.That(d <= time.Millisecond, "at most 1ms before the first retry", d.String())
			}
		}
	}
	c.Doing("RetryPause(10), 200 times: its ceiling has doubled up to 32ms")
	longest := time.Duration(0)
	for range 200 {
		longest = max(longest, bank.RetryPause(10))
	}
	// Uniform below 32ms: all 200 below 16ms has a chance of 2^-200.
	c.That(longest > 16*time.Millisecond, "some pauses above 16ms (the ceiling doubles each attempt: backoff)", "the longest was "+longest.String())
}
