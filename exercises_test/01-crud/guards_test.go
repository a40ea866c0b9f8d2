package crud_test

import (
	"net/http"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
)

func TestGuard_OpenAccount(t *testing.T) {
	c := spec.Guard(t, stage, "account.go (OpenAccount.Validate) and accounts_table.go (Accounts.Open)", "an account opens with its details, and a request the rules refuse opens nothing")
	api := newAPI(t)
	c.Doing("open a checking account")
	r := api.Post("/accounts", map[string]any{"owner": "Ada Lovelace", "kind": "checking", "currency": "EUR", "overdraft_limit": 10000})
	c.Status(r, http.StatusCreated)
	id := r.String("id")
	c.Equal("/accounts/"+id, r.Header.Get("Location"), "Location header")
	got := account(c, api, id)
	c.Equal(`"1"`, got.Header.Get("ETag"), "ETag (the version)")
	for field, want := range map[string]any{"owner": "Ada Lovelace", "kind": "checking", "currency": "EUR", "status": "open"} {
		c.Equal(want, got.String(field), field)
	}
	c.Equal(int64(0), got.Int("balance"), "balance")
	c.Equal(int64(10000), got.Int("overdraft_limit"), "overdraft_limit")
}

func TestGuard_BadInputIsRefusedAndWritesNothing(t *testing.T) {
	c := spec.Guard(t, stage, "http_requests.go, http_api.go and internal/web (decoding)", "bad input is a 4xx problem+json and writes nothing")
	api, db := newAPIWithDB(t)
	id := c.OpenAccount(api, "checking", 10000)
	before := account(c, api, id)
	for _, bad := range append(spec.PolicyRefusals(), spec.BadRequests(id)...) {
		c.CheckRefused(bad, api.Send(bad))
	}
	c.Doing("read the account after all the refused requests")
	c.Equal(string(before.Body), string(account(c, api, id).Body), "the account")
	var rows int
	c.NoError(db.Read.QueryRow(`SELECT COUNT(*) FROM accounts`).Scan(&rows), "counting accounts")
	c.Equal(1, rows, "rows in the accounts table")
}

func TestGuard_CloseNeedsAnOpenAccountWithZeroBalance(t *testing.T) {
	c := spec.Guard(t, stage, "balance_updates.go (Accounts.Close)", "only an open account with a zero balance closes")
	api := newAPI(t)
	id := c.OpenAccount(api, "savings", 0)
	c.Doing("close an empty account")
	r := api.Post("/accounts/"+id+"/close", nil)
	c.Status(r, http.StatusOK)
	c.Equal("closed", r.String("status"), "status")
	c.Doing("close it again")
	c.Status(api.Post("/accounts/"+id+"/close", nil), http.StatusUnprocessableEntity)
	c.Doing("close an account that does not exist")
	c.Status(api.Post("/accounts/0190c6a8-7d3e-7a1b-9c2d-3e4f5a6b7c8d/close", nil), http.StatusNotFound)
}

func TestGuard_IndexStageAndHealth(t *testing.T) {
	spec.Guard(t, stage, "stage.go and internal/web (index page)", "GET /, /stage and /healthz describe the stage").CheckStagePages(newAPI(t), 1, "/accounts/{id}/withdrawals", "/accounts/{id}/transfers")
}

func TestGuard_CorrelationIDIsEchoed(t *testing.T) {
	c := spec.Guard(t, stage, "internal/web (request context)", "a response echoes the request's correlation id")
	api := newAPI(t)
	c.Doing("GET /stage with X-Correlation-ID: trace-42")
	r := api.Get("/stage", "X-Correlation-ID", "trace-42")
	c.Equal("trace-42", r.Header.Get("X-Correlation-ID"), "X-Correlation-ID on the response")
	c.That(r.Header.Get("X-Request-ID") != "", "an X-Request-ID on the response", "none")
}
