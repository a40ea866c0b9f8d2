package aggregates_test

import (
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/03-aggregates"
)

// stage is the folder these tests check: stages/03-aggregates.
const stage = "03-aggregates"

const adaID = "0190c6a8-7d3e-7a1b-9c2d-3e4f5a6b7c8d"

// newAPI starts stage 3's server on a fresh database, in process.
func newAPI(t *testing.T) (*spec.API, *sqlitedb.DB) {
	return spec.StartAPI(t, bank.NewServer)
}

// opened is AccountOpened for Ada's account with the given kind and overdraft.
func opened(kind bank.Kind, overdraft int64) bank.AccountOpened {
	return bank.AccountOpened{AccountID: adaID, Owner: "Ada Lovelace", Kind: kind, Currency: "EUR", OverdraftLimit: overdraft}
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
