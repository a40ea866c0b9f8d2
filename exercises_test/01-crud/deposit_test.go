package crud_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/01-crud"
)

func Test1_1_DepositAddsToTheBalance(t *testing.T) {
	c := spec.For(t, stage)
	api := newAPI(t)
	id := c.OpenAccount(api, "savings", 0)

	c.Doing("deposit 2500 and then 1500 into a new savings account")
	c.Status(api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 2500}), http.StatusOK)
	r := api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 1500})
	c.Status(r, http.StatusOK)
	c.Equal(int64(4000), r.Int("balance"), "balance in the deposit's response")
	c.Equal(int64(4000), account(c, api, id).Int("balance"), "balance read back with GET")
	c.Equal(int64(3), r.Int("version"), "version (1 when opened, +1 per change)")
}

func Test1_1_DepositIntoAClosedAccountIsRefused(t *testing.T) {
	c := spec.For(t, stage)
	api := newAPI(t)
	id := c.OpenAccount(api, "savings", 0)
	c.Status(api.Post("/accounts/"+id+"/close", nil), http.StatusOK)

	c.Doing("deposit 100 into a closed account")
	r := api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 100})
	c.Status(r, http.StatusUnprocessableEntity)
	c.Equal(int64(0), account(c, api, id).Int("balance"), "balance of the closed account")
}

func Test1_1_DepositIntoAnUnknownAccountIs404(t *testing.T) {
	c := spec.For(t, stage)
	api := newAPI(t)
	c.Doing("deposit into an account id that was never opened")
	r := api.Post("/accounts/0190c6a8-7d3e-7a1b-9c2d-3e4f5a6b7c8d/deposits", map[string]any{"amount": 100})
	c.Status(r, http.StatusNotFound)
}

func Test1_1_ConcurrentDepositsLoseNothing(t *testing.T) {
	c := spec.For(t, stage)
	api, db := newAPIWithDB(t)
	id := c.OpenAccount(api, "savings", 0)

	c.Doing("40 deposits of 100 that all arrive before any is written")
	statuses := api.Collide(t, db, 40, "/accounts/"+id+"/deposits", map[string]any{"amount": 100})
	c.That(statuses.N(200) == 40, "all 40 deposits accepted", statuses.String())
	got := account(c, api, id).Int("balance")
	c.That(got == 4000, "balance 4000: every deposit counted once",
		fmt.Sprintf("balance %d: %d deposits were lost (a read-modify-write lets two requests write over each other)", got, (4000-got)/100))
}

func Test1_1_ADepositPastTheBalanceLimitIsRefused(t *testing.T) {
	c := spec.For(t, stage)
	api, db := newAPIWithDB(t)
	id := c.OpenAccount(api, "savings", 0)
	_, err := db.Write.Exec(`UPDATE accounts SET balance = ? WHERE id = ?`, bank.MaxBalance-100, id)
	c.NoError(err, "putting the balance 100 below MaxBalance (test setup)")

	c.Doing("deposit 101 into an account 100 below the bank's balance limit")
	c.Status(api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 101}), http.StatusUnprocessableEntity)
	c.Doing("deposit exactly 100")
	r := api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 100})
	c.Status(r, http.StatusOK)
	c.Equal(bank.MaxBalance, r.Int("balance"), "balance")
}
