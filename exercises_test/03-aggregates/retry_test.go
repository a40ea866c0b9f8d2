package aggregates_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/03-aggregates"
)

// Test3_4_ARefusedDecisionIsNotRetried: a refusal is the answer. The account is
// read once, and the 422 comes without a retry.
func Test3_4_ARefusedDecisionIsNotRetried(t *testing.T) {
	c := spec.For(t, stage)
	api, db := newAPI(t)
	id := c.OpenAccount(api, "savings", 0)
	c.Doing("withdraw 100 from an empty savings account, counting the reads of its stream")
	reads, r := c.CountReads(db, func() spec.Response {
		return api.Post("/accounts/"+id+"/withdrawals", map[string]any{"amount": 100})
	})
	c.Status(r, http.StatusUnprocessableEntity)
	c.Equal(1, reads, "reads of the account (one decision, no retry)")
}

// Test3_4_AnOutageIsNotRetried: only a concurrency conflict is retried. A write
// the database refuses is answered after one attempt.
func Test3_4_AnOutageIsNotRetried(t *testing.T) {
	c := spec.For(t, stage)
	api, db := newAPI(t)
	id := c.OpenAccount(api, "savings", 0)
	_, err := db.Write.Exec(`CREATE TRIGGER disk_full BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full'); END`)
	c.NoError(err, "making the events table refuse inserts (test setup)")
	c.Doing("deposit while the database refuses every insert, counting the reads of the stream")
	reads, r := c.CountReads(db, func() spec.Response {
		return api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 5})
	})
	c.Status(r, http.StatusInternalServerError)
	c.Equal(1, reads, "reads of the account (an outage is no conflict: no retry)")
}

// Test3_2_TheRepositorySavesAtTheLoadedVersion: a decision made on version 1 cannot
// land after another command took the account to version 2.
func Test3_2_TheRepositorySavesAtTheLoadedVersion(t *testing.T) {
	c := spec.For(t, stage) // a task test: it needs the factory (3.2) and Reconstitute (3.1)
	c.KeptBy("account_repository.go (Save)")
	db := spec.OpenDB(t)
	store, err := bank.NewEventStore(context.Background(), db, bank.NewRegistry())
	c.NoError(err, "NewEventStore")
	factory := bank.NewAccountFactory()
	repo := bank.NewAccountRepository(store, factory)
	meta := bank.Metadata{CorrelationID: "c", CausationID: "c", UserID: "u"}
	c.Doing("open and save a savings account")
	acc, err := factory.Open(bank.OpenAccount{Owner: "Ada", Kind: bank.Savings, Currency: "EUR"})
	c.NoError(err, "Open")
	_, err = repo.Save(c.Ctx(), acc, meta)
	c.NoError(err, "Save the new account")
	c.Doing("load the account twice at version 1, deposit with the first and save, then deposit with the second and save")
	first, err := repo.Load(c.Ctx(), acc.ID())
	c.NoError(err, "Load")
	second, err := repo.Load(c.Ctx(), acc.ID())
	c.NoError(err, "Load")
	c.NoError(first.Deposit(100, ""), "Deposit")
	_, err = repo.Save(c.Ctx(), first, meta)
	c.NoError(err, "Save the first")
	c.NoError(second.Deposit(100, ""), "Deposit")
	_, err = repo.Save(c.Ctx(), second, meta)
	c.ErrorIs(err, bank.ErrConcurrency, "ErrConcurrency: the second decided on version 1, and the account is at version 2")
}

// Test3_3_AClosedAccountIsClosedWhateverTheAmount: the status is checked before
// the funds, so a closed account never answers "insufficient funds".
func Test3_3_AClosedAccountIsClosedWhateverTheAmount(t *testing.T) {
	c := spec.For(t, stage)
	given(c, opened(bank.Checking, 10000), bank.AccountClosed{}).
		When("Withdraw(10001) from a closed account: more than its overdraft", on(withdraw(10001))).
		ThenFails(bank.ErrAccountClosed)
}
