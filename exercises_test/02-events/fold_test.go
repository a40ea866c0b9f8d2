package events_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/02-events"
)

const adaID = "0190c6a8-7d3e-7a1b-9c2d-3e4f5a6b7c8d"

var adaOpened = bank.AccountOpened{AccountID: adaID, Owner: "Ada Lovelace", Kind: bank.Checking, Currency: "EUR", OverdraftLimit: 10000}

// describeAccount prints the fields a fold produces, for failure messages.
func describeAccount(a bank.Account) string {
	return fmt.Sprintf("{id %s, owner %q, kind %s, currency %s, balance %d, overdraft %d, status %s, version %d}",
		a.ID, a.Owner, a.Kind, a.Currency, a.Balance, a.OverdraftLimit, a.Status, a.Version)
}

func replay(c *spec.Check, history []bank.Envelope) bank.Account {
	acc, err := bank.Replay(history)
	c.NoError(err, "Replay")
	return acc
}

func Test2_1_ReplayFoldsEveryEventIntoTheState(t *testing.T) {
	c := spec.For(t, stage)
	c.Doing("replay AccountOpened, MoneyDeposited 5000, MoneyWithdrawn 2000")
	got := replay(c, envelopes("account-"+adaID, adaOpened, bank.MoneyDeposited{Amount: 5000}, bank.MoneyWithdrawn{Amount: 2000}))
	want := bank.Account{Owner: "Ada Lovelace", Kind: bank.Checking, Currency: "EUR", Balance: 3000, OverdraftLimit: 10000, Status: bank.StatusOpen, Version: 3}
	_ = want.ID.UnmarshalText([]byte(adaID))
	c.That(got == want, describeAccount(want), describeAccount(got))
}

func Test2_1_ReplayOfAClosedAccount(t *testing.T) {
	c := spec.For(t, stage)
	c.Doing("replay AccountOpened, AccountClosed")
	got := replay(c, envelopes("account-"+adaID, adaOpened, bank.AccountClosed{}))
	c.That(got.Status == bank.StatusClosed && got.Version == 2, "status closed at version 2", describeAccount(got))
}

func Test2_1_AMigratedBalanceReplacesTheBalance(t *testing.T) {
	c := spec.For(t, stage)
	c.Doing("replay AccountOpened, OpeningBalanceMigrated -4000, MoneyDeposited 500")
	got := replay(c, envelopes("account-"+adaID, adaOpened, bank.OpeningBalanceMigrated{Balance: -4000}, bank.MoneyDeposited{Amount: 500}))
	c.That(got.Balance == -3500, "balance -3500", describeAccount(got))
}

func Test2_1_EveryPastStateCanBeAnswered(t *testing.T) {
	c := spec.For(t, stage)
	history := envelopes("account-"+adaID, adaOpened, bank.MoneyDeposited{Amount: 5000}, bank.MoneyWithdrawn{Amount: 1000}, bank.MoneyWithdrawn{Amount: 3960})
	want := []int64{0, 5000, 4000, 40}
	for v := 1; v <= len(history); v++ {
		c.Doing("replay the first %d events: the balance as it was at version %d", v, v)
		got := replay(c, history[:v])
		c.That(got.Balance == want[v-1] && got.Version == int64(v), fmt.Sprintf("balance %d at version %d", want[v-1], v), describeAccount(got))
	}
}

func Test2_1_AnEventWithoutACaseIsAnError(t *testing.T) {
	c := spec.For(t, stage)
	c.Doing("replay AccountOpened and then an event the fold has no case for (nil)")
	_, err := bank.Replay(append(envelopes("account-"+adaID, adaOpened), bank.Envelope{StreamID: "account-" + adaID, Version: 2}))
	c.That(errors.Is(err, bank.ErrUnknownEventType), "an error wrapping ErrUnknownEventType: skipping an event would give a wrong state",
		fmt.Sprintf("%v", err))
}

// Test2_1_TheFoldAcceptsFactsThatBreakTodaysRules: the fold checks no rule. A
// withdrawal past today's overdraft limit happened (written before a limit was
// lowered, or carried over by a migration): the state is what the facts say.
func Test2_1_TheFoldAcceptsFactsThatBreakTodaysRules(t *testing.T) {
	c := spec.For(t, stage)
	savings := bank.AccountOpened{AccountID: adaID, Owner: "Ada", Kind: bank.Savings, Currency: "EUR"}
	c.Doing("replay AccountOpened (savings), MoneyWithdrawn 500: a fact, whatever the rules say now")
	got := replay(c, envelopes("account-"+adaID, savings, bank.MoneyWithdrawn{Amount: 500}))
	c.That(got.Balance == -500 && got.Version == 2, "balance -500 at version 2 (the fold checks no rule)", describeAccount(got))
}
