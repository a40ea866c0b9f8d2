package aggregates_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/exercise"
	bank "github.com/go-es-workshop/kit/stages/03-aggregates"
)

func Test3_2_TheFactoryOpensAccountsWithTheRulesOfTheirKind(t *testing.T) {
	c := spec.For(t, stage)
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
		c.That(ok && got.Owner == cmd.Owner && got.Kind == cmd.Kind && got.Currency == cmd.Currency && got.OverdraftLimit == cmd.OverdraftLimit && got.AccountID != "",
			"exactly one AccountOpened with the request's details and a new id", describeChanges(changes))
		c.That(acc.Version() == 0 && acc.ID().String() == got.AccountID, "Version() 0 and ID() the new id", fmt.Sprintf("version %d, id %s", acc.Version(), acc.ID()))
	}
}

func Test3_2_TheFactoryRefusesWhatAKindDoesNotAllow(t *testing.T) {
	c := spec.For(t, stage)
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

func Test3_2_OpeningOverHTTPAppliesTheFactory(t *testing.T) {
	c := spec.For(t, stage)
	api, _ := newAPI(t)
	c.Doing("open a checking account with the largest overdraft allowed")
	r := api.Post("/accounts", map[string]any{"owner": "Ada", "kind": "checking", "currency": "EUR", "overdraft_limit": bank.MaxOverdraftLimit})
	c.Status(r, http.StatusCreated)
	c.That(r.Int("version") == 1 && r.Header.Get("ETag") == `"1"`, `version 1 and ETag "1"`, r.Describe())
	c.Doing("open a savings account with an overdraft")
	c.Status(api.Post("/accounts", map[string]any{"owner": "Ada", "kind": "savings", "currency": "EUR", "overdraft_limit": 1}), http.StatusUnprocessableEntity)
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
