package crud_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
)

func Test1_2_WithdrawDownToTheOverdraftLimit(t *testing.T) {
	c := spec.For(t, stage)
	api := newAPI(t)
	id := c.OpenAccount(api, "checking", 10000)

	c.Doing("withdraw 10000 from a new checking account with an overdraft limit of 10000")
	r := api.Post("/accounts/"+id+"/withdrawals", map[string]any{"amount": 10000})
	c.Status(r, http.StatusOK)
	c.Equal(int64(-10000), r.Int("balance"), "balance")

	c.Doing("withdraw 1 more, one cent past the overdraft limit")
	r = api.Post("/accounts/"+id+"/withdrawals", map[string]any{"amount": 1})
	c.Status(r, http.StatusUnprocessableEntity)
	c.Equal(int64(-10000), account(c, api, id).Int("balance"), "balance after the refused withdrawal")
}

func Test1_2_SavingsNeverGoBelowZero(t *testing.T) {
	c := spec.For(t, stage)
	api := newAPI(t)
	id := c.OpenAccount(api, "savings", 0)

	c.Doing("withdraw 1 from an empty savings account")
	r := api.Post("/accounts/"+id+"/withdrawals", map[string]any{"amount": 1})
	c.Status(r, http.StatusUnprocessableEntity)
	c.Equal(int64(0), account(c, api, id).Int("balance"), "balance")
}

func Test1_2_WithdrawFromAClosedAccountIsRefused(t *testing.T) {
	c := spec.For(t, stage)
	api := newAPI(t)
	id := c.OpenAccount(api, "checking", 10000)
	c.Status(api.Post("/accounts/"+id+"/close", nil), http.StatusOK)

	c.Doing("withdraw 100 from a closed checking account that still has an overdraft")
	c.Status(api.Post("/accounts/"+id+"/withdrawals", map[string]any{"amount": 100}), http.StatusUnprocessableEntity)
}

func Test1_2_ConcurrentWithdrawalsNeverPassTheLimit(t *testing.T) {
	c := spec.For(t, stage)
	api, db := newAPIWithDB(t)
	id := c.OpenAccount(api, "checking", 1000)

	c.Doing("40 withdrawals of 100 that all arrive before any is written; the overdraft limit affords 10")
	statuses := api.Collide(t, db, 40, "/accounts/"+id+"/withdrawals", map[string]any{"amount": 100})
	acc := account(c, api, id)
	balance := acc.Int("balance")
	got := fmt.Sprintf("%s; balance %d", statuses, balance)
	if statuses.N(200) > 10 {
		got += fmt.Sprintf("\n%d withdrawals passed the check, but the balance moved by only %d: each read the same old balance"+
			"\nand wrote its own result over the others (read-modify-write). Put the rule in the UPDATE's WHERE clause.",
			statuses.N(200), -balance)
	}
	c.That(statuses.N(200) == 10 && statuses.N(422) == 30 && balance == -1000, "10 × 200 and 30 × 422, balance -1000 (exactly at the limit)", got)
	c.Equal(int64(11), acc.Int("version"), "version (1 + 10 accepted withdrawals)")
}
