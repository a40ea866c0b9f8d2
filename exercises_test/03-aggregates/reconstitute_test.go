package aggregates_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/exercise"
	bank "github.com/go-es-workshop/kit/stages/03-aggregates"
	"github.com/google/uuid"
)

func Test3_1_ReconstituteReplaysTheHistory(t *testing.T) {
	c := spec.For(t, stage)
	c.Doing("Reconstitute [AccountOpened checking 10000, MoneyDeposited 5000, MoneyWithdrawn 7000]")
	acc, err := bank.NewAccountFactory().Reconstitute(history(opened(bank.Checking, 10000), bank.MoneyDeposited{Amount: 5000}, bank.MoneyWithdrawn{Amount: 7000}))
	c.NoError(err, "Reconstitute")
	want := bank.AccountView{ID: uuid.MustParse(adaID), Owner: "Ada Lovelace", Kind: bank.Checking, Currency: "EUR",
		Balance: -2000, OverdraftLimit: 10000, Status: bank.StatusOpen, Version: 3}
	c.Equal(want, acc.View(), "the account")
	c.Equal(int64(3), acc.Version(), "Version() (the expected version for the next save)")
	c.Equal(0, len(acc.Changes()), "new changes after reconstitution (the past is not new)")
}

func Test3_1_ReconstituteEqualsLiveDecisions(t *testing.T) {
	c := spec.For(t, stage)
	c.KeptBy("account_factory.go (Reconstitute) and account_aggregate.go (View, record)")
	c.Doing("rebuild an account from its history, deposit 250, try to close it, then rebuild it from all it recorded")
	f := bank.NewAccountFactory()
	past := []bank.Event{opened(bank.Savings, 0), bank.MoneyDeposited{Amount: 800}, bank.MoneyWithdrawn{Amount: 800}}
	live, err := f.Reconstitute(history(past...))
	c.NoError(err, "Reconstitute")
	c.NoError(live.Deposit(250, "birthday"), `Deposit(250, "birthday")`)
	c.Equal(bank.ErrBalanceNotZero, live.Close(), "Close() with 250 on the account")
	rebuilt, err := f.Reconstitute(history(append(past, live.Changes()...)...))
	c.NoError(err, "Reconstitute")
	c.Equal(live.View(), rebuilt.View(), "the rebuilt account (must equal the live one)")
}

func Test3_1_CorruptHistoriesAreRefused(t *testing.T) {
	c := spec.For(t, stage)
	deposit := bank.MoneyDeposited{Amount: 100}
	gap := history(opened(bank.Savings, 0), deposit, deposit)
	gap[2].Version = 4
	swapped := history(opened(bank.Savings, 0), deposit, bank.MoneyWithdrawn{Amount: 50})
	swapped[1], swapped[2] = swapped[2], swapped[1]
	foreign := history(opened(bank.Savings, 0), deposit)
	foreign[1].StreamID = "account-someone-else"
	cases := []struct {
		name    string
		history []bank.Envelope
	}{
		{"an empty history", nil},
		{"a history that starts with a deposit", history(deposit, opened(bank.Savings, 0))},
		{"versions 1, 2, 4 (a gap)", gap},
		{"versions 1, 3, 2 (out of order)", swapped},
		{"an event of another stream", foreign},
		{"AccountOpened of another account", history(bank.AccountOpened{AccountID: "0190c6a8-0000-7000-8000-00000000beef", Kind: bank.Savings, Currency: "EUR"})},
		{"AccountOpened twice", history(opened(bank.Savings, 0), opened(bank.Checking, 100))},
	}
	c.Doing("Reconstitute each of %d corrupt histories", len(cases))
	var accepted []string
	for _, tc := range cases {
		_, err := bank.NewAccountFactory().Reconstitute(tc.history)
		if _, todo := exercise.IsTodo(err); todo {
			c.NoError(err, "Reconstitute")
		}
		switch {
		case err == nil:
			accepted = append(accepted, fmt.Sprintf("- %s: no error, the history was accepted", tc.name))
		case !errors.Is(err, bank.ErrCorruptHistory):
			accepted = append(accepted, fmt.Sprintf("- %s: an error that does not wrap ErrCorruptHistory: %v", tc.name, err))
		}
	}
	c.That(len(accepted) == 0, fmt.Sprintf("an error wrapping ErrCorruptHistory for each of the %d", len(cases)),
		fmt.Sprintf("%d of them not refused:\n%s", len(accepted), strings.Join(accepted, "\n")))
}
