package production_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/exercise"
	bank "github.com/go-es-workshop/kit/stages/08-production"
	"github.com/google/uuid"
)

// Stage 3's tests of the factory, kept as guards (see aggregate_test.go).

func TestGuard_TheFactoryOpensAccountsWithTheRulesOfTheirKind(t *testing.T) {
	c := spec.Guard(t, stage, "account_factory.go (Open)", "the factory opens accounts with the rules of their kind")
	for _, cmd := range []bank.OpenAccount{
		{Owner: "Ada", Kind: bank.Checking, Currency: "EUR", OverdraftLimit: 0},
		{Owner: "Ada", Kind: bank.Checking, Currency: "EUR", OverdraftLimit: bank.MaxOverdraftLimit},
		{Owner: "Ada", Kind: bank.Savings, Currency: "GBP", OverdraftLimit: 0},
	} {
		c.Doing("Open %+v", cmd)
		acc, err := bank.NewAccountFactory().Open(cmd)
		c.NoError(err, "Open")
		c.That(acc != nil, "an account", "no account, and no error")
		changes := acc.Changes()
		got, ok := bank.AccountOpened{}, len(changes) == 1
		if ok {
			got, ok = changes[0].(bank.AccountOpened)
		}
		c.That(ok && got.Holder == bank.Holder{LegalName: cmd.Owner, Type: bank.Person} && got.Kind == cmd.Kind && got.Currency == cmd.Currency && got.OverdraftLimit == cmd.OverdraftLimit && got.AccountID != "",
			"exactly one AccountOpened with the request's details and a new id", describeChanges(changes))
		c.That(acc.Version() == 0 && acc.ID().String() == got.AccountID, "Version() 0 and ID() the new id", fmt.Sprintf("version %d, id %s", acc.Version(), acc.ID()))
	}
}

func TestGuard_TheFactoryRefusesWhatAKindDoesNotAllow(t *testing.T) {
	c := spec.Guard(t, stage, "account_factory.go (Open)", "the factory refuses what a kind does not allow")
	for _, cmd := range []bank.OpenAccount{
		{Owner: "Ada", Kind: bank.Savings, Currency: "EUR", OverdraftLimit: 1},
		{Owner: "Ada", Kind: bank.Checking, Currency: "EUR", OverdraftLimit: bank.MaxOverdraftLimit + 1},
	} {
		c.Doing("Open %+v", cmd)
		acc, err := bank.NewAccountFactory().Open(cmd)
		if _, todo := exercise.IsTodo(err); todo {
			c.NoError(err, "Open")
		}
		var policy *bank.PolicyError
		got := "no account"
		if acc != nil {
			got = fmt.Sprintf("an account that records %s", describeChanges(acc.Changes()))
		}
		switch {
		case err == nil:
			got += ", and no error"
		case !errors.As(err, &policy):
			got += fmt.Sprintf(", and an error that is no *PolicyError (%T): %v", err, err)
		default:
			got += ", and a *PolicyError: " + err.Error()
		}
		c.That(acc == nil && errors.As(err, &policy), "no account, and a *PolicyError (HTTP 422)", got)
	}
}

// describeChanges prints an account's new events, for failure messages.
func describeChanges(events []bank.Event) string {
	if len(events) == 0 {
		return "no events"
	}
	parts := make([]string, len(events))
	for i, e := range events {
		parts[i] = strings.TrimPrefix(fmt.Sprintf("%T%+v", e, e), "bank.")
	}
	return strings.Join(parts, ", ")
}

func TestGuard_ReconstituteReplaysTheHistory(t *testing.T) {
	c := spec.Guard(t, stage, "account_factory.go (Reconstitute)", "reconstitution replays the history")
	c.Doing("Reconstitute [AccountOpened checking 10000, MoneyDeposited 5000, MoneyWithdrawn 7000]")
	acc, err := bank.NewAccountFactory().Reconstitute(history(openedAs(bank.Checking, 10000), bank.MoneyDeposited{Amount: 5000}, bank.MoneyWithdrawn{Amount: 7000}))
	c.NoError(err, "Reconstitute")
	want := bank.AccountView{ID: uuid.MustParse(adaID), Owner: "Ada Lovelace", HolderType: bank.Person, Kind: bank.Checking, Currency: "EUR",
		Balance: -2000, OverdraftLimit: 10000, Status: bank.StatusOpen, Version: 3}
	c.Equal(want, acc.View(), "the account")
	c.Equal(int64(3), acc.Version(), "Version() (the expected version for the next save)")
	c.Equal(0, len(acc.Changes()), "new changes after reconstitution (the past is not new)")
}

func TestGuard_ReconstituteEqualsLiveDecisions(t *testing.T) {
	c := spec.Guard(t, stage, "account_factory.go (Reconstitute)", "an account rebuilt from its history equals the live one")
	c.Doing("rebuild an account from its history, deposit 250, try to close it, then rebuild it from all it recorded")
	f := bank.NewAccountFactory()
	past := []bank.Event{openedAs(bank.Savings, 0), bank.MoneyDeposited{Amount: 800}, bank.MoneyWithdrawn{Amount: 800}}
	live, err := f.Reconstitute(history(past...))
	c.NoError(err, "Reconstitute")
	c.NoError(live.Deposit(250, "birthday"), `Deposit(250, "birthday")`)
	c.Equal(bank.ErrBalanceNotZero, live.Close(), "Close() with 250 on the account")
	rebuilt, err := f.Reconstitute(history(append(past, live.Changes()...)...))
	c.NoError(err, "Reconstitute")
	c.Equal(live.View(), rebuilt.View(), "the rebuilt account (must equal the live one)")
}

func TestGuard_CorruptHistoriesAreRefused(t *testing.T) {
	c := spec.Guard(t, stage, "account_factory.go (Reconstitute, checkInHistory)", "a history this code could not have written is refused")
	deposit := bank.MoneyDeposited{Amount: 100}
	gap := history(openedAs(bank.Savings, 0), deposit, deposit)
	gap[2].Version = 4
	swapped := history(openedAs(bank.Savings, 0), deposit, bank.MoneyWithdrawn{Amount: 50})
	swapped[1], swapped[2] = swapped[2], swapped[1]
	foreign := history(openedAs(bank.Savings, 0), deposit)
	foreign[1].StreamID = "account-someone-else"
	cases := []struct {
		name    string
		history []bank.Envelope
	}{
		{"an empty history", nil},
		{"a history that starts with a deposit", history(deposit, openedAs(bank.Savings, 0))},
		{"versions 1, 2, 4 (a gap)", gap},
		{"versions 1, 3, 2 (out of order)", swapped},
		{"an event of another stream", foreign},
		{"AccountOpened of another account", history(bank.AccountOpened{AccountID: "0190c6a8-0000-7000-8000-00000000beef", Kind: bank.Savings, Currency: "EUR"})},
		{"AccountOpened twice", history(openedAs(bank.Savings, 0), openedAs(bank.Checking, 100))},
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

// TestGuard_AHistoryMustOpenTheAccountItNames: a stream without AccountOpened, or
// whose AccountOpened names no valid account id, is no account's history.
func TestGuard_AHistoryMustOpenTheAccountItNames(t *testing.T) {
	c := spec.Guard(t, stage, "account_factory.go (Reconstitute) and account_aggregate.go (apply)", "a history must open the account it names")
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

func TestGuard_TheFactoryValidatesWhatItIsGiven(t *testing.T) {
	c := spec.Guard(t, stage, "account_factory.go (Open) and open_account.go (Validate)", "the factory refuses a malformed request itself, whoever calls it")
	for _, cmd := range []bank.OpenAccount{
		{Owner: " ", Kind: bank.Checking, Currency: "EUR"},
		{Owner: "Ada", Kind: "gold", Currency: "EUR"},
		{Owner: "Ada", Kind: bank.Savings, Currency: "XXX"},
		{Owner: "Ada", Kind: bank.Checking, Currency: "EUR", OverdraftLimit: -1},
	} {
		c.Doing("Open %+v", cmd)
		acc, err := bank.NewAccountFactory().Open(cmd)
		var invalid *bank.ValidationError
		c.That(acc == nil && errors.As(err, &invalid), "no account, and a *ValidationError (HTTP 400)", fmt.Sprintf("%v, %v", acc, err))
	}
}
