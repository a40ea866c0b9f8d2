package crud_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/exercise"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/01-crud"
)

// Task 1.3 (stretch): a transfer between two accounts in one transaction.

// transfer posts a transfer of amount from one account to another.
func transfer(api *spec.API, from, to string, amount int64) spec.Response {
	return api.Post("/accounts/"+from+"/transfers", map[string]any{"to": to, "amount": amount})
}

// openWith opens Ada's account of kind in currency over the API and, if balance is
// not 0, puts its balance there behind the API's back (test setup: deposits are
// task 1.1).
func openWith(c *spec.Check, api *spec.API, db *sqlitedb.DB, kind, currency string, overdraft, balance int64) string {
	c.Doing("open a %s account in %s with a balance of %d (setup for this test)", kind, currency, balance)
	r := api.Post("/accounts", map[string]any{"owner": "Ada Lovelace", "kind": kind, "currency": currency, "overdraft_limit": overdraft})
	c.Status(r, http.StatusCreated)
	id := r.String("id")
	if balance != 0 {
		_, err := db.Write.Exec(`UPDATE accounts SET balance = ? WHERE id = ?`, balance, id)
		c.NoError(err, "setting the balance (test setup)")
	}
	return id
}

// table is every row of the accounts table with every column, as text: what a
// refused or failed transfer must leave exactly as it was.
func table(c *spec.Check, db *sqlitedb.DB) string {
	rows, err := db.Read.Query(`SELECT id, owner, kind, currency, balance, overdraft_limit, status, version, updated_at FROM accounts ORDER BY id`)
	c.NoError(err, "reading the accounts table")
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, owner, kind, currency, status, updated string
		var balance, overdraft, version int64
		c.NoError(rows.Scan(&id, &owner, &kind, &currency, &balance, &overdraft, &status, &version, &updated), "reading a row")
		fmt.Fprintf(&b, "\n%s %s %s balance %d overdraft %d %s version %d updated %s", id, kind, currency, balance, overdraft, status, version, updated)
	}
	c.NoError(rows.Err(), "reading the accounts table")
	return b.String()
}

// checkUnchanged fails unless the accounts table is as it was before, explaining
// what a half-done transfer looks like.
func checkUnchanged(c *spec.Check, db *sqlitedb.DB, before string) {
	after := table(c, db)
	got := "the table changed from:" + indent(before) + "\nto:" + indent(after)
	c.That(after == before, "both accounts exactly as they were (balance, version, updated_at): a refused or failed transfer writes nothing",
		got+"\nA transfer that fails halfway must undo its first UPDATE: run both in one transaction and roll it back.")
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n    ") }

func Test1_3_ATransferMovesMoneyFromOneAccountToTheOther(t *testing.T) {
	c := spec.For(t, stage)
	api, db := newAPIWithDB(t)
	from := openWith(c, api, db, "checking", "EUR", 10000, 5000)
	to := openWith(c, api, db, "savings", "EUR", 0, 0)

	c.Doing("transfer 3000 from a checking account holding 5000 to a savings account holding 0")
	r := transfer(api, from, to, 3000)
	c.Status(r, http.StatusOK)
	var body struct{ From, To bank.Account }
	c.NoError(r.Decode(&body), "decoding the transfer's answer")
	c.That(body.From.ID.String() == from && body.From.Balance == 2000 && body.From.Version == 2 &&
		body.To.ID.String() == to && body.To.Balance == 3000 && body.To.Version == 2,
		`{"from": the source at balance 2000, version 2, "to": the target at balance 3000, version 2}`, r.Describe())
	c.Equal(`"2"`, r.Header.Get("ETag"), "ETag (the source's version)")
	c.Equal(int64(2000), account(c, api, from).Int("balance"), "the source's balance read back")
	c.Equal(int64(3000), account(c, api, to).Int("balance"), "the target's balance read back")

	c.Doing("transfer 12000 more: exactly down to the source's overdraft limit of 10000")
	r = transfer(api, from, to, 12000)
	c.Status(r, http.StatusOK)
	c.That(account(c, api, from).Int("balance") == -10000 && account(c, api, to).Int("balance") == 15000,
		"source at -10000, target at 15000", r.Describe())

	c.Doing("transfer 1 more, one cent past the overdraft limit")
	before := table(c, db)
	r = transfer(api, from, to, 1)
	c.Status(r, http.StatusUnprocessableEntity)
	c.That(strings.Contains(r.String("detail"), "insufficient funds"), `a problem whose detail says "insufficient funds"`, r.Describe())
	checkUnchanged(c, db, before)
}

func Test1_3_ARefusedTransferChangesNeitherAccount(t *testing.T) {
	c := spec.For(t, stage)
	api, db := newAPIWithDB(t)
	source := openWith(c, api, db, "checking", "EUR", 1000, 1000)
	target := openWith(c, api, db, "savings", "EUR", 0, 0)
	closed := openWith(c, api, db, "savings", "EUR", 0, 0)
	c.Status(api.Post("/accounts/"+closed+"/close", nil), http.StatusOK)
	pounds := openWith(c, api, db, "savings", "GBP", 0, 0)
	full := openWith(c, api, db, "savings", "EUR", 0, bank.MaxBalance-100)
	poor := openWith(c, api, db, "savings", "EUR", 0, 100)
	const unknown = "0190c6a8-0000-7000-8000-000000000404"

	for _, tc := range []struct {
		name     string
		from, to string
		amount   int64
		status   int
		detail   string // words the problem's detail must contain
	}{
		{"into a closed account", source, closed, 100, 422, "closed"},
		{"into an account that does not exist", source, unknown, 100, 404, "not found"},
		{"into an account in GBP, from one in EUR", source, pounds, 100, 422, "currenc"},
		{"into an account 100 below the bank's balance limit, 101", source, full, 101, 422, "limit"},
		{"from a savings account holding 100, 101", poor, target, 101, 422, "insufficient funds"},
		{"from a closed account", closed, target, 100, 422, "closed"},
		{"from an account that does not exist", unknown, target, 100, 404, "not found"},
	} {
		c.Doing("transfer %s", tc.name)
		before := table(c, db)
		r := transfer(api, tc.from, tc.to, tc.amount)
		c.Status(r, tc.status)
		c.That(strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json"), "an application/problem+json answer", r.Header.Get("Content-Type"))
		c.That(strings.Contains(strings.ToLower(r.String("detail")), tc.detail), fmt.Sprintf("a problem whose detail says %q", tc.detail), r.Describe())
		if tc.from == source {
			c.That(strings.Contains(r.String("detail"), "transfer to"), `a detail that says it is about "the account to transfer to"`, r.Describe())
		}
		checkUnchanged(c, db, before)
	}
	c.Doing("transfer exactly 100 into the account 100 below the bank's balance limit")
	c.Status(transfer(api, source, full, 100), http.StatusOK)
	c.Equal(bank.MaxBalance, account(c, api, full).Int("balance"), "the target's balance")
}

// inject runs SQL that makes the database fail on purpose (test setup).
func inject(c *spec.Check, db *sqlitedb.DB, what string, stmts ...string) {
	for _, stmt := range stmts {
		_, err := db.Write.Exec(stmt)
		c.NoError(err, what+" (test setup)")
	}
}

func Test1_3_AFailureHalfwayUndoesTheWholeTransfer(t *testing.T) {
	c := spec.For(t, stage)
	api, db := newAPIWithDB(t)
	from := openWith(c, api, db, "savings", "EUR", 0, 1000)
	to := openWith(c, api, db, "savings", "EUR", 0, 0)

	failures := []struct {
		name       string
		inject     []string
		clearAfter string
	}{
		{"the database refuses the target's UPDATE (after the source's went through)",
			[]string{`CREATE TRIGGER credit_fails BEFORE UPDATE OF balance ON accounts WHEN NEW.id = '` + to + `'
				BEGIN SELECT RAISE(ABORT, 'disk I/O error (injected by the test)'); END`},
			`DROP TRIGGER credit_fails`},
		{"the database refuses the source's UPDATE",
			[]string{`CREATE TRIGGER debit_fails BEFORE UPDATE OF balance ON accounts WHEN NEW.id = '` + from + `'
				BEGIN SELECT RAISE(ABORT, 'disk I/O error (injected by the test)'); END`},
			`DROP TRIGGER debit_fails`},
		// A deferred foreign key is checked at COMMIT: both UPDATEs go through, the commit fails.
		{"both UPDATEs go through and the COMMIT fails",
			[]string{`PRAGMA foreign_keys = ON`,
				`CREATE TABLE IF NOT EXISTS parent (id TEXT PRIMARY KEY)`,
				`CREATE TABLE IF NOT EXISTS child (parent TEXT REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)`,
				`CREATE TRIGGER commit_fails AFTER UPDATE ON accounts BEGIN INSERT INTO child VALUES ('nobody'); END`},
			`DROP TRIGGER commit_fails`},
	}
	for _, f := range failures {
		inject(c, db, "making the database fail: "+f.name, f.inject...)
		c.Doing("transfer 300 when %s", f.name)
		before := table(c, db)
		r := transfer(api, from, to, 300)
		c.NoStub(r)
		c.That(r.Status == http.StatusInternalServerError, "500: the database failed, and the answer says so", r.Describe())
		checkUnchanged(c, db, before)
		inject(c, db, "letting the database work again", f.clearAfter)
	}
	c.Doing("transfer 300 once the database works again")
	c.Status(transfer(api, from, to, 300), http.StatusOK)
	c.That(account(c, api, from).Int("balance") == 700 && account(c, api, to).Int("balance") == 300,
		"source at 700, target at 300", table(c, db))

	c.Doing("transfer 1 when the database is closed")
	c.NoError(db.Close(), "closing the database (test setup)")
	r := transfer(api, from, to, 1)
	c.That(r.Status == http.StatusInternalServerError, "500 Internal Server Error (as problem+json)", r.Describe())
}

func Test1_3_ARefusedTransferReleasesTheWriterAtOnce(t *testing.T) {
	c := spec.For(t, stage)
	db := spec.OpenDB(t)
	ctx := c.Ctx() // lives for the whole test, like a long-running job's context
	accounts, err := bank.NewAccounts(ctx, db)
	c.NoError(err, "NewAccounts")
	open := func(kind, currency string) bank.Account {
		acc, err := accounts.Open(ctx, bank.OpenAccount{Owner: "Ada Lovelace", Kind: bank.Kind(kind), Currency: currency})
		c.NoError(err, "Open (setup for this test)")
		return acc
	}
	empty, euros, pounds, closed := open("savings", "EUR"), open("savings", "EUR"), open("savings", "GBP"), open("savings", "EUR")
	_, err = accounts.Close(ctx, closed.ID)
	c.NoError(err, "Close (setup for this test)")
	_, err = db.Write.Exec(`UPDATE accounts SET balance = 500 WHERE id = ?`, euros.ID.String())
	c.NoError(err, "setting a balance (test setup)")

	for _, refused := range []struct {
		name     string
		from, to bank.Account
		want     error
	}{
		{"Transfer(100) from an empty savings account", empty, euros, bank.ErrInsufficientFunds},
		{"Transfer(100) into a closed account", euros, closed, bank.ErrAccountClosed},
		{"Transfer(100) from EUR into GBP", euros, pounds, bank.ErrCurrencyMismatch},
	} {
		c.Doing("%s, with a context that stays alive", refused.name)
		_, err := accounts.Transfer(ctx, refused.from.ID, refused.to.ID, 100)
		c.ErrorIs(err, refused.want, fmt.Sprintf("an error wrapping %q", refused.want))
		c.Doing("open an account, within 2 seconds, right after: %s was refused", refused.name)
		soon, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err = accounts.Open(soon, bank.OpenAccount{Owner: "Grace Hopper", Kind: bank.Savings, Currency: "EUR"})
		cancel()
		if err != nil {
			c.Fail("the write goes through: the refused transfer rolled its transaction back",
				"error: "+err.Error()+"\nThe refused transfer kept its transaction open, and with it SQLite's only write connection: "+
					exercise.OpenTransactionAdvice)
		}
	}
}

func Test1_3_OppositeTransfersAtOnceLoseNoMoney(t *testing.T) {
	c := spec.For(t, stage)
	api, db := newAPIWithDB(t)
	a := openWith(c, api, db, "savings", "EUR", 0, 1000)
	b := openWith(c, api, db, "savings", "EUR", 0, 1000)

	c.Doing("20 transfers of 100 from A to B and 20 from B to A, all waiting for the database at once")
	var posts []spec.Post
	for range 20 {
		posts = append(posts,
			spec.Post{Path: "/accounts/" + a + "/transfers", Body: map[string]any{"to": b, "amount": 100}},
			spec.Post{Path: "/accounts/" + b + "/transfers", Body: map[string]any{"to": a, "amount": 100}})
	}
	answers := api.CollideAll(t, db, posts)
	c.NoStub(answers[0])
	var aToB, bToA int64
	var other []string
	for i, r := range answers {
		switch {
		case r.Status == http.StatusOK && i%2 == 0:
			aToB++
		case r.Status == http.StatusOK:
			bToA++
		case r.Status != http.StatusUnprocessableEntity:
			other = append(other, r.Describe())
		}
	}
	if len(other) > 0 {
		c.Fail("every transfer answered 200, or 422 when its source could not pay",
			fmt.Sprintf("%d answered otherwise, such as: %s", len(other), other[0])+
				"\n(a 503 is a transfer that waited too long: does a statement inside your transaction use a.db.Write instead of tx?)")
	}
	accA, accB := account(c, api, a), account(c, api, b)
	got := fmt.Sprintf("%d A→B and %d B→A accepted; A: balance %d, version %d; B: balance %d, version %d",
		aToB, bToA, accA.Int("balance"), accA.Int("version"), accB.Int("balance"), accB.Int("version"))
	c.That(accA.Int("balance")+accB.Int("balance") == 2000, "2000 in the two accounts together: no money made or lost", got)
	c.That(accA.Int("balance") == 1000-100*aToB+100*bToA && accB.Int("balance") == 1000+100*aToB-100*bToA &&
		accA.Int("balance") >= 0 && accB.Int("balance") >= 0,
		"each balance moved by exactly the accepted transfers, and neither savings account below 0", got)
	c.That(accA.Int("version") == 1+aToB+bToA && accB.Int("version") == 1+aToB+bToA,
		"each account's version is 1 + every accepted transfer (each changed both rows once)", got)
}

func TestGuard_TransferBadInputIsRefusedAndWritesNothing(t *testing.T) {
	c := spec.For(t, stage)
	api, db := newAPIWithDB(t)
	from := openWith(c, api, db, "checking", "EUR", 10000, 1000)
	to := openWith(c, api, db, "savings", "EUR", 0, 0)
	before := table(c, db)
	path := "/accounts/" + from + "/transfers"
	bad := func(name, body string, want int, detail string) spec.BadRequest {
		return spec.BadRequest{Name: name, Method: "POST", Path: path, ContentType: "application/json", Body: body, Want: want, DetailHas: detail}
	}
	valid := `"to":"` + to + `","amount":5`
	for _, b := range []spec.BadRequest{
		bad("malformed JSON", `{"to":`, 400, ""),
		bad("not an object", `["`+to+`"]`, 400, ""),
		bad("empty body", ``, 400, ""),
		bad("nothing in it", `{}`, 400, "to is required"),
		bad("no amount", `{"to":"`+to+`"}`, 400, "amount is required"),
		bad("no to", `{"amount":5}`, 400, "to is required"),
		bad("to is not a UUID", `{"to":"42","amount":5}`, 400, "to"),
		bad("to is a UUID without its dashes", `{"to":"`+strings.ReplaceAll(to, "-", "")+`","amount":5}`, 400, "to"),
		bad("to is a number", `{"to":5,"amount":5}`, 400, "to"),
		bad("to is the account itself", `{"to":"`+from+`","amount":5}`, 400, "to"),
		bad("zero amount", `{"to":"`+to+`","amount":0}`, 400, "amount"),
		bad("negative amount", `{"to":"`+to+`","amount":-5}`, 400, "amount"),
		bad("fractional amount", `{"to":"`+to+`","amount":2.5}`, 400, "amount"),
		bad("amount as a string", `{"to":"`+to+`","amount":"5"}`, 400, "amount"),
		bad("amount above the maximum", `{"to":"`+to+`","amount":10000000001}`, 400, "amount"),
		bad("a reference (the CRUD table has nowhere to keep it)", `{`+valid+`,"reference":"rent"}`, 400, "reference"),
		bad("amount twice", `{`+valid+`,"amount":7}`, 400, "twice"),
		bad("a field in the wrong case", `{"TO":"`+to+`","amount":5}`, 400, ""),
		{Name: "text/plain", Method: "POST", Path: path, ContentType: "text/plain", Body: `{` + valid + `}`, Want: 415},
		{Name: "malformed account id in the path", Method: "POST", Path: "/accounts/42/transfers", ContentType: "application/json", Body: `{` + valid + `}`, Want: 400},
		{Name: "GET instead of POST", Method: "GET", Path: path, Want: 405},
	} {
		c.CheckRefused(b, api.Send(b))
	}
	c.Doing("read the accounts table after all the refused transfers")
	c.Equal(before, table(c, db), "the accounts table")
}
