package cqrs_test

// Stretch task 4.5 (optional): a new question, answered from the whole history.
// The accounts overdrawn right now, most owed first, each with the moment it went
// below zero: a fourth read model, built by a projection of the log that is
// already there.

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/exercise"
	bank "github.com/go-es-workshop/kit/stages/04-cqrs"
	"github.com/google/uuid"
)

var carol = uuid.MustParse("0190c6a8-0000-7000-8000-000000000ca0")

// registerHint says what the starter leaves out: the projection is written in
// read_model_overdrawn.go, but a read model works only once it is registered.
const registerHint = "register it: AccountsOverdrawn() in NewApplication's projector list (application.go), " +
	"its query (Queries.AccountsOverdrawn, wired as the three others are), and the route GET /reports/overdrawn in http_api.go " +
	"(the three other TODO(4.5)); see make hint TASK=4.5"

// requireRegistered fails unless the application runs the projection of the
// overdrawn accounts and has its query: in the starter, neither is registered.
func requireRegistered(c *spec.Check, a *app) {
	if a.Projector.Projection(bank.AccountsOverdrawnProjection) == nil {
		c.Doing("look for the projection accounts_overdrawn in the application NewApplication wires")
		statuses, _ := a.Projector.Statuses(c.Ctx())
		var names []string
		for _, s := range statuses {
			names = append(names, s.Name)
		}
		c.KeptBy("application.go")
		c.Fail("a projection called "+bank.AccountsOverdrawnProjection+" in the application: "+registerHint,
			fmt.Sprintf("NewApplication's projector has only %s: accounts_overdrawn is not registered, so it never runs", strings.Join(names, ", ")))
	}
	if a.Queries.AccountsOverdrawn == nil {
		c.Doing("look for the query of the overdrawn accounts in the application NewApplication wires")
		c.KeptBy("application.go")
		c.Fail("Queries.AccountsOverdrawn wired in NewApplication: "+registerHint, "Queries.AccountsOverdrawn is nil")
	}
}

// requireRouted fails unless the server answers GET /reports/overdrawn.
func requireRouted(c *spec.Check, api *spec.API) {
	c.Doing("GET /reports/overdrawn, to see that the server has the route")
	r := api.Get("/reports/overdrawn")
	if r.Status == http.StatusNotFound {
		c.KeptBy("http_api.go")
		c.Fail("a route GET /reports/overdrawn: "+registerHint, "404: the server has no such route\n"+r.Describe())
	}
}

// applyOverdrawn applies the log to accounts_overdrawn with the projection's own
// Apply, one transaction per event, as the projector would: the Apply is tested
// whether or not the application registers it yet.
func applyOverdrawn(c *spec.Check, a *app, log ...bank.Envelope) error {
	p := bank.AccountsOverdrawn()
	execAll(c, a.db.Write, p.Schema...)
	for _, e := range log {
		tx, err := a.db.Write.BeginTx(c.Ctx(), nil)
		c.NoError(err, "BeginTx (test setup)")
		if err := p.Apply(c.Ctx(), tx, e); err != nil {
			_ = tx.Rollback()
			return err
		}
		c.NoError(tx.Commit(), "Commit")
	}
	return nil
}

// overdrawnOf applies the log to a fresh accounts_overdrawn and reads a page of it.
func overdrawnOf(c *spec.Check, t *testing.T, after bank.OverdrawnCursor, limit int) func([]bank.Envelope) ([]bank.OverdrawnAccount, error) {
	return func(log []bank.Envelope) ([]bank.OverdrawnAccount, error) {
		a := newApp(c, t)
		if err := applyOverdrawn(c, a, log...); err != nil {
			return nil, err
		}
		requireRegistered(c, a)
		page, err := a.Queries.AccountsOverdrawn(c.Ctx(), bank.OverdrawnQuery{After: after, Limit: limit})
		wantNext := ""
		if len(page.Accounts) == limit {
			last := page.Accounts[limit-1]
			wantNext = fmt.Sprintf("%d,%s", last.Balance, last.ID)
		}
		c.Equal(wantNext, page.NextAfter, "next_after (the balance and id of the last account of a full page, else empty)")
		return page.Accounts, err
	}
}

// everyOverdrawn is the first page of the overdrawn accounts, big enough for all.
func everyOverdrawn(c *spec.Check, t *testing.T) func([]bank.Envelope) ([]bank.OverdrawnAccount, error) {
	return overdrawnOf(c, t, bank.OverdrawnCursor{}, 100)
}

func owes(id uuid.UUID, owner, currency string, balance int64, since time.Time) bank.OverdrawnAccount {
	return bank.OverdrawnAccount{ID: id, Owner: owner, Currency: currency, Balance: balance, Since: since}
}

func Test4_5_AnAccountBelowZeroIsListedSinceThePaymentThatTookItThere(t *testing.T) {
	c := spec.For(t, stage)
	log := logOf(ada, opened(ada, "Ada Lovelace", "EUR"), bob, opened(bob, "Bob", "GBP"), carol, opened(carol, "Carol", "CHF"),
		ada, at(1, 0), bank.MoneyDeposited{Amount: 100}, at(1, 5), bank.MoneyWithdrawn{Amount: 300, Reference: "rent"},
		at(1, 10), bank.MoneyWithdrawn{Amount: 50, Reference: "cinema"},
		bob, at(2, 0), bank.MoneyWithdrawn{Amount: 1000}, carol, bank.MoneyDeposited{Amount: 10})
	all := []bank.OverdrawnAccount{owes(bob, "Bob", "GBP", -1000, at(2, 0)), owes(ada, "Ada Lovelace", "EUR", -250, at(1, 5))}
	givenLog[bank.OverdrawnAccount](c, log...).When("the overdrawn accounts, most owed first", everyOverdrawn(c, t)).ThenRows(all...)
	givenLog[bank.OverdrawnAccount](c, log[:4]...).When("the overdrawn accounts, before any payment", everyOverdrawn(c, t)).ThenRows()
	givenLog[bank.OverdrawnAccount](c, log[:5]...).When("the overdrawn accounts, after Ada's first withdrawal", everyOverdrawn(c, t)).
		ThenRows(owes(ada, "Ada Lovelace", "EUR", -200, at(1, 5)))
	givenLog[bank.OverdrawnAccount](c, log...).When("the first overdrawn account", overdrawnOf(c, t, bank.OverdrawnCursor{}, 1)).ThenRows(all[0])
	givenLog[bank.OverdrawnAccount](c, log...).When("the overdrawn accounts after Bob's (-1000)",
		overdrawnOf(c, t, bank.OverdrawnCursor{Balance: -1000, AccountID: bob}, 1)).ThenRows(all[1])
	givenLog[bank.OverdrawnAccount](c, log...).When("the overdrawn accounts after Ada's (-250)",
		overdrawnOf(c, t, bank.OverdrawnCursor{Balance: -250, AccountID: ada}, 1)).ThenRows()
}

func Test4_5_AnAccountOpenedAtZeroGoesBelowWithItsFirstWithdrawal(t *testing.T) {
	c := spec.For(t, stage)
	justAfterMidnight := time.Date(2024, 5, 4, 0, 30, 0, 0, time.FixedZone("UTC+2", 2*3600)) // 3 May, 22:30 UTC
	log := logOf(ada, opened(ada, "Ada Lovelace", "EUR"), justAfterMidnight, bank.MoneyWithdrawn{Amount: 1})
	givenLog[bank.OverdrawnAccount](c, log...).When("the overdrawn accounts (since in UTC, as every time the bank answers)", everyOverdrawn(c, t)).
		ThenRows(owes(ada, "Ada Lovelace", "EUR", -1, justAfterMidnight.UTC()))
}

func Test4_5_BackAtZeroOrAboveTheRowGoes(t *testing.T) {
	c := spec.For(t, stage)
	log := logOf(ada, opened(ada, "Ada Lovelace", "EUR"), bob, opened(bob, "Bob", "EUR"),
		ada, at(1, 0), bank.MoneyWithdrawn{Amount: 300}, bob, at(1, 1), bank.MoneyWithdrawn{Amount: 50},
		ada, at(2, 0), bank.MoneyDeposited{Amount: 100}, at(2, 5), bank.MoneyDeposited{Amount: 200},
		bob, at(3, 0), bank.MoneyDeposited{Amount: 70})
	givenLog[bank.OverdrawnAccount](c, log[:5]...).When("the overdrawn accounts, after a deposit that leaves Ada below zero", everyOverdrawn(c, t)).
		ThenRows(owes(ada, "Ada Lovelace", "EUR", -200, at(1, 0)), owes(bob, "Bob", "EUR", -50, at(1, 1)))
	givenLog[bank.OverdrawnAccount](c, log[:6]...).When("the overdrawn accounts, after a deposit that brings Ada back to exactly 0", everyOverdrawn(c, t)).
		ThenRows(owes(bob, "Bob", "EUR", -50, at(1, 1)))
	givenLog[bank.OverdrawnAccount](c, log...).When("the overdrawn accounts, after a deposit that takes Bob above zero", everyOverdrawn(c, t)).
		ThenRows()
}

func Test4_5_BelowZeroAgainIsANewSince(t *testing.T) {
	c := spec.For(t, stage)
	log := logOf(ada, opened(ada, "Ada Lovelace", "EUR"), at(1, 0), bank.MoneyWithdrawn{Amount: 300},
		at(2, 0), bank.MoneyDeposited{Amount: 400}, at(3, 0), bank.MoneyWithdrawn{Amount: 110})
	givenLog[bank.OverdrawnAccount](c, log...).When("the overdrawn accounts", everyOverdrawn(c, t)).
		ThenRows(owes(ada, "Ada Lovelace", "EUR", -10, at(3, 0)))
}

func Test4_5_AClosedOrMigratedAccountAndAnUnknownOne(t *testing.T) {
	c := spec.For(t, stage)
	// A log is history: the projection does not check today's rules again. An
	// account closed while below zero (under an older rule, or its debt written
	// off elsewhere) is closed, and no longer listed.
	log := logOf(ada, opened(ada, "Ada Lovelace", "EUR"), bob, opened(bob, "Bob", "EUR"),
		ada, at(1, 0), bank.MoneyWithdrawn{Amount: 300}, bob, bank.MoneyWithdrawn{Amount: 50}, ada, at(2, 0), bank.AccountClosed{})
	givenLog[bank.OverdrawnAccount](c, log...).When("the overdrawn accounts, Ada's closed below zero", everyOverdrawn(c, t)).
		ThenRows(owes(bob, "Bob", "EUR", -50, at(1, 0)))
	migrated := logOf(carol, opened(carol, "Carol", "GBP"), at(4, 0), bank.OpeningBalanceMigrated{Balance: -4000, Source: "legacy accounts table"},
		ada, opened(ada, "Ada Lovelace", "EUR"), bank.OpeningBalanceMigrated{Balance: 2500, Source: "legacy accounts table"},
		carol, at(5, 0), bank.MoneyDeposited{Amount: 4000})
	givenLog[bank.OverdrawnAccount](c, migrated[:4]...).When("the overdrawn accounts, Carol's debt migrated from the old system", everyOverdrawn(c, t)).
		ThenRows(owes(carol, "Carol", "GBP", -4000, at(4, 0)))
	givenLog[bank.OverdrawnAccount](c, migrated...).When("the overdrawn accounts, Carol's debt paid", everyOverdrawn(c, t)).ThenRows()
	givenLog[bank.OverdrawnAccount](c, logOf(bank.MoneyDeposited{Amount: 5})...).
		When("the overdrawn accounts, for a deposit into an account the log never opened", everyOverdrawn(c, t)).ThenFails(new(error))
	givenLog[bank.OverdrawnAccount](c, logOf(bank.MoneyWithdrawn{Amount: 5})...).
		When("the overdrawn accounts, for a withdrawal from an account the log never opened", everyOverdrawn(c, t)).ThenFails(new(error))
}

// Test4_5_ANewReadModelIsBuiltFromTheWholeLog is the lesson of 4.5: the bank ran
// without this read model, its log grew, then the new version started. The new
// projection's checkpoint starts at 0, so the accounts overdrawn long before it
// existed are in it, with the moment they went below zero.
func Test4_5_ANewReadModelIsBuiltFromTheWholeLog(t *testing.T) {
	c := spec.For(t, stage)
	db := spec.OpenDB(t)
	log, _ := spec.NewServerLog()
	store, err := bank.NewEventStore(c.Ctx(), db, bank.NewRegistry())
	c.NoError(err, "NewEventStore")
	c.Doing("run the bank as it was before this read model: its three projections, and a log written then")
	old, err := bank.NewProjector(c.Ctx(), db, store, log, bank.TransactionHistory(), bank.AccountsByOwner(), bank.DailyTotals())
	c.NoError(err, "NewProjector with the three read models of before")
	meta := bank.Metadata{CorrelationID: "test", CausationID: "test", UserID: "test"}
	for _, a := range []struct {
		id     uuid.UUID
		owner  string
		events []bank.Event
	}{
		{ada, "Ada Lovelace", []bank.Event{bank.MoneyDeposited{Amount: 100}, bank.MoneyWithdrawn{Amount: 400}}},
		{bob, "Bob", []bank.Event{bank.MoneyWithdrawn{Amount: 50}, bank.MoneyDeposited{Amount: 50}}},
		{carol, "Carol", []bank.Event{bank.MoneyWithdrawn{Amount: 10}, bank.MoneyWithdrawn{Amount: 5}}},
	} {
		_, err := store.Append(c.Ctx(), bank.StreamID(a.id.String()), 0, meta, append([]bank.Event{opened(a.id, a.owner, "EUR")}, a.events...)...)
		c.NoError(err, "appending "+a.owner+"'s events (test setup)")
	}
	stored, err := store.ReadAll(c.Ctx(), 0, 100)
	c.NoError(err, "ReadAll")
	for _, name := range []string{bank.TransactionHistoryProjection, bank.AccountsByOwnerProjection, bank.DailyTotalsProjection} {
		for _, e := range stored {
			c.NoError(old.Projection(name).Handle(c.Ctx(), e), "the old bank's "+name+" applying the log")
		}
	}
	var tables int
	c.NoError(db.Read.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'accounts_overdrawn%'`).Scan(&tables), "looking for the new tables")
	c.Equal(0, tables, "tables of accounts_overdrawn before the new version starts (test setup)")
	head := stored[len(stored)-1].Position

	c.Doing("start the new version of the bank on that database: it has the read model of the overdrawn accounts")
	a := openApp(c, db)
	requireRegistered(c, a)
	c.Equal(int64(0), a.status(c, bank.AccountsOverdrawnProjection).Checkpoint, "the checkpoint of the new projection (a new read model starts at the beginning of the log)")
	c.Equal(head, a.status(c, bank.AccountsByOwnerProjection).Checkpoint, "the checkpoint of accounts_by_owner (where the old bank left it)")
	a.run(t)
	page, err := a.Queries.AccountsOverdrawn(c.Ctx(), bank.OverdrawnQuery{Limit: 10, MinPosition: head})
	if todo, ok := exercise.IsTodo(err); ok {
		c.Fail("the overdrawn accounts", todo.Error())
	}
	c.NoError(err, fmt.Sprintf("AccountsOverdrawn once it has reached position %d, the head of the log", head))
	since := func(account uuid.UUID, version int64) time.Time {
		for _, e := range stored {
			if e.StreamID == bank.StreamID(account.String()) && e.Version == version {
				return e.RecordedAt.UTC()
			}
		}
		return time.Time{}
	}
	want := []bank.OverdrawnAccount{owes(ada, "Ada Lovelace", "EUR", -300, since(ada, 3)), owes(carol, "Carol", "EUR", -15, since(carol, 2))}
	c.Equal(fmt.Sprintf("%+v", want), fmt.Sprintf("%+v", page.Accounts),
		"the accounts overdrawn by the log written before the read model existed, since the withdrawal that took each below zero")
	c.Equal(head, a.status(c, bank.AccountsOverdrawnProjection).Checkpoint, "the checkpoint of the new projection, at the head of the log")
}

func Test4_5_GetReportsOverdrawnPagesMostOwedFirst(t *testing.T) {
	c := spec.For(t, stage)
	api, _ := newAPI(t)
	requireRouted(c, api)
	ids := map[int64]string{}
	var pos int64
	for _, amount := range []int64{300, 700, 0, 500} {
		id := c.OpenAccount(api, "checking", 1000)
		if amount > 0 {
			r := api.Post("/accounts/"+id+"/withdrawals", map[string]any{"amount": amount})
			c.Status(r, http.StatusOK)
			pos = r.Int("position")
		}
		ids[-amount] = id
	}
	type page struct {
		Accounts []struct {
			ID, Owner, Currency string
			Balance             int64
			Since               time.Time
		}
		NextAfter string `json:"next_after"`
	}
	get := func(path string, balances ...int64) page {
		c.Doing("GET %s", path)
		r := api.Get(path)
		c.Status(r, http.StatusOK)
		var p page
		c.NoError(r.Decode(&p), "decoding the page")
		var got []string
		for _, a := range p.Accounts {
			got = append(got, fmt.Sprintf("%s %d %s %s since %t", a.ID, a.Balance, a.Owner, a.Currency, time.Since(a.Since) < time.Minute))
		}
		var want []string
		for _, b := range balances {
			want = append(want, fmt.Sprintf("%s %d Ada Lovelace EUR since true", ids[b], b))
		}
		c.Equal(strings.Join(want, "\n"), strings.Join(got, "\n"), "the accounts of the page (id, balance, owner, currency, since just now), most owed first")
		return p
	}
	first := get(fmt.Sprintf("/reports/overdrawn?limit=2&min_position=%d", pos), -700, -500)
	c.Equal("-500,"+ids[-500], first.NextAfter, "next_after of a full page: the balance and id of its last account")
	last := get(fmt.Sprintf("/reports/overdrawn?limit=2&after=%s&min_position=%d", first.NextAfter, pos), -300)
	c.Equal("", last.NextAfter, "next_after of the last page")
	c.Doing("GET /reports/overdrawn?min_position=%d, a position the log has not reached", pos+1000)
	r := api.Get(fmt.Sprintf("/reports/overdrawn?min_position=%d", pos+1000))
	c.Status(r, http.StatusServiceUnavailable)
	c.That(strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") && r.String("projection") == bank.AccountsOverdrawnProjection && r.Int("min_position") == pos+1000,
		"a problem+json naming accounts_overdrawn and the min_position asked for", r.Describe())
}

func Test4_5_GetReportsOverdrawnRefusesBadQueries(t *testing.T) {
	c := spec.For(t, stage)
	api, _ := newAPI(t)
	requireRouted(c, api)
	c.KeptBy("http_queries.go (overdrawn)") // given code: it works once routed
	get := func(name, query, detail string) spec.BadRequest {
		return spec.BadRequest{Name: "overdrawn accounts " + name, Method: "GET", Path: "/reports/overdrawn?" + query, Want: http.StatusBadRequest, DetailHas: detail}
	}
	for _, bad := range []spec.BadRequest{
		get("after an account id alone", "after="+adaID, "after"),
		get("after a balance alone", "after=-5000", "after"),
		get("after a balance and something that is not an account id", "after=-5000,42", "after"),
		get("after a balance and a UUID without its dashes", "after=-5000,0190c6a87d3e7a1b9c2d3e4f5a6b7c8d", "after"),
		get("after a balance that is not a number", "after=lots,"+adaID, "after"),
		get("after a fractional balance", "after=-1.5,"+adaID, "after"),
		get("after two commas", "after=-5,"+adaID+",x", "after"),
		get("limit 0", "limit=0", "limit"),
		get("limit 1001", "limit=1001", "limit"),
		get("min_position -1", "min_position=-1", "min_position"),
		get("min_position x", "min_position=x", "min_position"),
	} {
		c.CheckRefused(bad, api.Send(bad))
	}
}

func Test4_5_AnOverdrawnReportThatCannotBeReadIsAnError(t *testing.T) {
	c := spec.For(t, stage)
	for _, bad := range []struct{ name, setup string }{
		{"accounts_overdrawn gone", `ALTER TABLE accounts_overdrawn RENAME TO gone`},
		{"a balance that is not a number", `UPDATE accounts_overdrawn SET balance = 'lots'`},
		{"a since that is not a time", `UPDATE accounts_overdrawn SET since = 'yesterday'`},
	} {
		c.Doing("read the overdrawn accounts with %s", bad.name)
		a := newApp(c, t)
		requireRegistered(c, a)
		c.KeptBy("read_model_overdrawn.go (readOverdrawn)") // given code: it works once registered
		// Rows written by hand: this checks the reading, not task 4.5's Apply.
		execAll(c, a.db.Write, `INSERT INTO accounts_overdrawn (account_id, owner, currency, balance, since)
			VALUES ('`+adaID+`', 'Ada Lovelace', 'EUR', -5, '2024-05-01T10:00:00Z')`, bad.setup)
		_, err := a.Queries.AccountsOverdrawn(c.Ctx(), bank.OverdrawnQuery{Limit: 10})
		c.That(err != nil, "an error", "no error")
	}
}

// Test4_5_TheBankRegistersItsFourthReadModel is the other half of the task: a
// projection written is not yet a read model. The bank runs it, reads it and
// routes to it only once NewApplication and NewServer register it.
func Test4_5_TheBankRegistersItsFourthReadModel(t *testing.T) {
	c := spec.For(t, stage)
	a := newApp(c, t)
	c.Doing("NewApplication on a fresh database: its projections and queries")
	requireRegistered(c, a)
	q := `SELECT * FROM accounts_overdrawn WHERE (balance, account_id) > (-5000, 'x') ORDER BY balance, account_id LIMIT 10`
	c.Doing("EXPLAIN QUERY PLAN %s", q)
	rows, err := a.db.Read.Query(`EXPLAIN QUERY PLAN ` + q)
	c.NoError(err, "EXPLAIN QUERY PLAN (the projector made the tables of accounts_overdrawn)")
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		c.NoError(rows.Scan(&id, &parent, &unused, &detail), "reading the plan")
		plan = append(plan, detail)
	}
	rows.Close()
	text := strings.Join(plan, "; ")
	c.That(!strings.Contains(text, "SCAN") && !strings.Contains(text, "TEMP B-TREE") && strings.Contains(text, "SEARCH"),
		"the overdrawn accounts read through their index (balance, account_id): a SEARCH, no SCAN and no sort (TEMP B-TREE)", text)

	api, _ := newAPI(t)
	requireRouted(c, api)
	c.Doing("GET /projections")
	r := api.Get("/projections")
	c.Status(r, http.StatusOK)
	c.That(strings.Contains(string(r.Body), `"`+bank.AccountsOverdrawnProjection+`"`), "GET /projections listing accounts_overdrawn", r.Describe())
	c.Doing("GET /reports/overdrawn on an empty log")
	r = api.Get("/reports/overdrawn")
	c.Status(r, http.StatusOK)
	c.That(strings.Contains(string(r.Body), `"accounts":[]`), `an empty page ("accounts":[])`, r.Describe())
}
