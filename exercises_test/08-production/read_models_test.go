package production_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
	"github.com/google/uuid"
)

// ownersOf applies the log to a fresh accounts_by_owner and reads a page of owner's accounts.
func ownersOf(c *spec.Check, t *testing.T, owner string, after uuid.UUID, limit int) func([]bank.Envelope) ([]bank.OwnedAccount, error) {
	return func(log []bank.Envelope) ([]bank.OwnedAccount, error) {
		a := newApp(c, t)
		if err := a.apply(c, bank.AccountsByOwnerProjection, log...); err != nil {
			return nil, err
		}
		page, err := a.Queries.AccountsByOwner(c.Ctx(), bank.OwnerQuery{Owner: owner, After: after, Limit: limit})
		wantNext := ""
		if len(page.Accounts) == limit {
			wantNext = page.Accounts[limit-1].ID.String()
		}
		c.Equal(wantNext, page.NextAfter, "next_after (the last id of a full page, else empty)")
		return page.Accounts, err
	}
}

// totalsOf applies the log to fresh daily totals and reads the days from to to.
func totalsOf(c *spec.Check, t *testing.T, from, to string) func([]bank.Envelope) ([]bank.DailyTotal, error) {
	return func(log []bank.Envelope) ([]bank.DailyTotal, error) {
		a := newApp(c, t)
		if err := a.apply(c, bank.DailyTotalsProjection, log...); err != nil {
			return nil, err
		}
		report, err := a.Queries.DailyTotals(c.Ctx(), bank.DailyTotalsQuery{From: from, To: to})
		return report.Totals, err
	}
}

var (
	ada2 = uuid.MustParse("0190c6a8-ffff-7000-8000-0000000000a2")
	ada0 = uuid.MustParse("0190c6a8-0000-7000-8000-0000000000a0")
)

func TestGuard_AccountsByOwnerKeepsEachAccountUpToDate(t *testing.T) {
	c := spec.Guard(t, stage, "read_model_owners.go", "accounts by owner: one row per account, kept up to date by the events of all streams")
	log := logOf(ada, opened(ada, "Ada Lovelace", "EUR"), bob, opened(bob, "Bob", "GBP"), ada2, bank.AccountOpened{AccountID: ada2.String(), Holder: bank.Holder{LegalName: "Ada Lovelace", Type: bank.Person}, Kind: bank.Savings, Currency: "CHF"},
		ada, bank.MoneyDeposited{Amount: 5000}, bob, bank.MoneyDeposited{Amount: 7}, ada, bank.MoneyWithdrawn{Amount: 3000},
		ada2, bank.OpeningBalanceMigrated{Balance: 2500}, ada0, bank.AccountOpened{AccountID: ada0.String(), Holder: bank.Holder{LegalName: "Ada Lovelace", Type: bank.Person}, Kind: bank.Savings, Currency: "EUR"},
		bank.AccountClosed{})
	acc := func(id uuid.UUID, kind bank.Kind, currency string, balance int64, status bank.Status) bank.OwnedAccount {
		return bank.OwnedAccount{ID: id, Kind: kind, Currency: currency, Balance: balance, Status: status}
	}
	all := []bank.OwnedAccount{acc(ada0, bank.Savings, "EUR", 0, bank.StatusClosed), acc(ada, bank.Checking, "EUR", 2000, bank.StatusOpen), acc(ada2, bank.Savings, "CHF", 2500, bank.StatusOpen)}
	givenLog[bank.OwnedAccount](c, log...).When("Ada Lovelace's accounts", ownersOf(c, t, "Ada Lovelace", uuid.Nil, 10)).ThenRows(all...)
	givenLog[bank.OwnedAccount](c, log...).When("Bob's accounts", ownersOf(c, t, "Bob", uuid.Nil, 10)).ThenRows(acc(bob, bank.Checking, "GBP", 7, bank.StatusOpen))
	givenLog[bank.OwnedAccount](c, log...).When("the accounts of ada lovelace (another name)", ownersOf(c, t, "ada lovelace", uuid.Nil, 10)).ThenRows()
	givenLog[bank.OwnedAccount](c, log...).When("Ada Lovelace's first 2 accounts", ownersOf(c, t, "Ada Lovelace", uuid.Nil, 2)).ThenRows(all[:2]...)
	givenLog[bank.OwnedAccount](c, log...).When("Ada Lovelace's accounts after the second", ownersOf(c, t, "Ada Lovelace", all[1].ID, 2)).ThenRows(all[2])
}

func TestGuard_DailyTotalsAddUpEachDayAndCurrency(t *testing.T) {
	c := spec.Guard(t, stage, "read_model_daily_totals.go", "daily totals: money in and out per day recorded (UTC) and currency")
	justBeforeMidnight := time.Date(2024, 5, 2, 0, 30, 0, 0, time.FixedZone("UTC+1", 3600)) // 1 May, 23:30 UTC
	log := logOf(ada, opened(ada, "Ada Lovelace", "EUR"), bob, opened(bob, "Bob", "GBP"),
		ada, at(1, 5), bank.MoneyDeposited{Amount: 5000}, bank.MoneyWithdrawn{Amount: 300}, bank.MoneyWithdrawn{Amount: 200},
		bob, bank.MoneyDeposited{Amount: 70}, ada, justBeforeMidnight, bank.MoneyDeposited{Amount: 1},
		bob, at(2, 0), bank.MoneyWithdrawn{Amount: 9}, bank.OpeningBalanceMigrated{Balance: 999},
		ada, at(3, 0), bank.MoneyDeposited{Amount: 4})
	day := func(d, currency string, deposited, withdrawn, deposits, withdrawals int64) bank.DailyTotal {
		return bank.DailyTotal{Day: d, Currency: currency, Deposited: deposited, Withdrawn: withdrawn, Deposits: deposits, Withdrawals: withdrawals}
	}
	may1 := []bank.DailyTotal{day("2024-05-01", "EUR", 5001, 500, 2, 2), day("2024-05-01", "GBP", 70, 0, 1, 0)}
	may2 := day("2024-05-02", "GBP", 0, 9, 0, 1)
	may3 := day("2024-05-03", "EUR", 4, 0, 1, 0)
	givenLog[bank.DailyTotal](c, log...).When("the totals of 1 to 3 May", totalsOf(c, t, "2024-05-01", "2024-05-03")).ThenRows(may1[0], may1[1], may2, may3)
	givenLog[bank.DailyTotal](c, log...).When("the totals of 2 May", totalsOf(c, t, "2024-05-02", "2024-05-02")).ThenRows(may2)
	givenLog[bank.DailyTotal](c, log...).When("the totals of 2 to 3 May", totalsOf(c, t, "2024-05-02", "2024-05-03")).ThenRows(may2, may3)
	givenLog[bank.DailyTotal](c, log...).When("the totals of April", totalsOf(c, t, "2024-04-01", "2024-04-30")).ThenRows()
	givenLog[bank.DailyTotal](c, logOf(bank.MoneyDeposited{Amount: 5})...).
		When("the totals, for a deposit into an account the log never opened (parked: it counts nowhere)", totalsOf(c, t, "2024-05-01", "2024-05-01")).
		ThenRows()
}

func TestGuard_TheCheckpointMovesWithTheRowsInOneTransaction(t *testing.T) {
	c := spec.Guard(t, stage, "projector.go (Handle)", "a projection writes an event's rows and its checkpoint in one transaction")
	a := newApp(c, t)
	mallory := uuid.MustParse("0190c6a8-0000-7000-8000-0000000bad00")
	log := logOf(ada, opened(ada, "Ada Lovelace", "EUR"), mallory, opened(mallory, "Mallory", "EUR"), bank.MoneyDeposited{Amount: 5})
	_, err := a.db.Write.Exec(`CREATE TRIGGER no_mallory BEFORE INSERT ON accounts_by_owner_blue WHEN NEW.owner = 'Mallory'
		BEGIN SELECT RAISE(ABORT, 'Mallory is not welcome'); END`)
	c.NoError(err, "making the read model refuse Mallory's row (test setup: a crash in the middle of an event)")
	refuseParking(c, a.db.Write)
	c.Doing("apply Ada's AccountOpened (position 1), then Mallory's (position 2), which the read model refuses and cannot be parked")
	c.NoError(a.apply(c, bank.AccountsByOwnerProjection, log[0]), "applying position 1")
	c.That(a.apply(c, bank.AccountsByOwnerProjection, log[1]) != nil, "an error for position 2", "no error")
	c.Doing("read the checkpoint of accounts_by_owner, in memory and in the checkpoints table, and after a restart")
	c.Equal(int64(1), a.status(c, bank.AccountsByOwnerProjection).Checkpoint, "the checkpoint")
	var stored int64
	c.NoError(a.db.Read.QueryRow(`SELECT position FROM checkpoints WHERE projection = ? AND build = 'blue'`, bank.AccountsByOwnerProjection).Scan(&stored), "reading the checkpoints table")
	c.Equal(int64(1), stored, "the stored checkpoint (a checkpoint past position 2 would skip it after a restart: an event lost)")
	restarted := openApp(c, a.db)
	c.Equal(int64(1), restarted.status(c, bank.AccountsByOwnerProjection).Checkpoint, "the checkpoint after a restart")
	_, err = a.db.Write.Exec(`DROP TRIGGER no_mallory`)
	c.NoError(err, "letting Mallory in (test setup)")
	_, err = a.db.Write.Exec(`DROP TRIGGER no_parking`)
	c.NoError(err, "making room for dead letters (test setup)")
	c.Doing("apply positions 2 and 3 after the restart")
	c.NoError(restarted.apply(c, bank.AccountsByOwnerProjection, log[1:]...), "applying positions 2 and 3")
	page, err := restarted.Queries.AccountsByOwner(c.Ctx(), bank.OwnerQuery{Owner: "Mallory", Limit: 10})
	c.NoError(err, "AccountsByOwner")
	c.That(len(page.Accounts) == 1 && page.Accounts[0].Balance == 5, "Mallory's account with 5", fmt.Sprintf("%+v", page.Accounts))
	c.Equal(int64(3), restarted.status(c, bank.AccountsByOwnerProjection).Checkpoint, "the checkpoint")
}

func TestGuard_TheProjectorStopsWithItsContext(t *testing.T) {
	c := spec.Guard(t, stage, "projector.go (Run)", "the projector's goroutines end when its context does")
	a := newApp(c, t) // an empty log: the projections wait for an append (projector_batch.go applies it)
	stop := a.run(t)
	c.Doing("stop the projector (its context ends) and wait for Run to return")
	stop()
	statuses, err := a.Projector.Statuses(c.Ctx())
	c.NoError(err, "Statuses")
	c.Equal(3, len(statuses), "projections")
	for _, s := range statuses {
		c.That(s.Status == "stopped" && s.Error == "" && s.Head == 0, "stopped, without an error, head 0", fmt.Sprintf("%+v", s))
	}
	c.That(!strings.Contains(a.serverLog.String(), "projection stopped"), "no error logged: stopping is no failure", a.serverLog.String())
}

func TestGuard_AnAppendThatCommitsWakesWhoeverWaits(t *testing.T) {
	c := spec.Guard(t, stage, "eventstore_append.go (AppendOnce) and signal.go", "a committed append wakes the projections")
	a := newApp(c, t)
	for i, expected := range []int64{0, 1} {
		woken := a.store.Appended()
		c.Doing("append at version %d", expected)
		_, err := a.store.Append(c.Ctx(), bank.StreamID(adaID), expected, bank.Metadata{}, []bank.Event{opened(ada, "Ada", "EUR"), bank.MoneyDeposited{Amount: 1}}[i])
		c.NoError(err, "Append")
		select {
		case <-woken:
		default:
			c.Fail("the channel from Appended closed by the commit", "still open")
		}
	}
	woken := a.store.Appended()
	c.Doing("append at a stale version: refused")
	_, err := a.store.Append(c.Ctx(), bank.StreamID(adaID), 0, bank.Metadata{}, bank.MoneyDeposited{Amount: 1})
	c.That(err != nil, "an error", "none")
	select {
	case <-woken:
		c.Fail("the channel from Appended still open: nothing was appended", "closed")
	default:
	}
}

func TestGuard_EachReadModelHasTheIndexItsQueryNeeds(t *testing.T) {
	c := spec.Guard(t, stage, "read_model_*.go (their schemas)", "each read model answers its query from an index, without scanning or sorting its table")
	a := newApp(c, t)
	for _, q := range []string{
		`SELECT * FROM account_transactions WHERE account_id = 'x' AND version > 3 ORDER BY version LIMIT 10`,
		`SELECT * FROM accounts_by_owner WHERE owner = 'Ada' AND account_id > 'x' ORDER BY account_id LIMIT 10`,
		`SELECT * FROM daily_totals WHERE day >= '2024-05-01' AND day <= '2024-05-31' ORDER BY day, currency`,
	} {
		c.Doing("EXPLAIN QUERY PLAN %s", q)
		rows, err := a.db.Read.Query(`EXPLAIN QUERY PLAN ` + q)
		c.NoError(err, "EXPLAIN QUERY PLAN")
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
			"a SEARCH through an index, no SCAN of the table and no sort (TEMP B-TREE)", text)
	}
}

func TestGuard_TheHistoryIsReadFromItsReadModel(t *testing.T) {
	c := spec.Guard(t, stage, "outbox.go", "the history is read from its read model")
	api, db := newAPI(t)
	id := c.OpenAccount(api, "checking", 1000)
	c.Doing("deposit 5, then read the history once it includes it (min_position)")
	r := api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 5})
	c.Status(r, http.StatusOK)
	c.Status(api.Get(fmt.Sprintf("/accounts/%s/transactions?min_position=%d", id, r.Int("position"))), http.StatusOK)
	_, err := db.Write.Exec(`ALTER TABLE events RENAME TO events_hidden`)
	c.NoError(err, "hiding the events table, the write model (test setup)")
	c.Doing("GET /accounts/{id}/transactions with the write model gone")
	r = api.Get("/accounts/" + id + "/transactions")
	c.Status(r, http.StatusOK)
	c.That(strings.Contains(string(r.Body), `"balance_after":5`), "the history from its own table, with the deposit", r.Describe())
	c.Doing("GET /accounts?owner=Ada%%20Lovelace with the write model gone")
	c.Status(api.Get("/accounts?owner=Ada%20Lovelace"), http.StatusOK)
}

func TestGuard_AProjectionWakesOnAnAppendNotOnItsPoll(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "a projection wakes on an append not on its poll")
	a := newApp(c, t)
	a.run(t)
	run := a.Projector.Projection(bank.AccountsByOwnerProjection)
	var version int64
	for round := range 5 {
		var e bank.Event = bank.MoneyDeposited{Amount: 1}
		if round == 0 {
			e = opened(ada, "Ada Lovelace", "EUR")
		}
		stored, err := a.store.Append(c.Ctx(), bank.StreamID(adaID), version, bank.Metadata{CorrelationID: "test", CausationID: "test", UserID: "test"}, e)
		c.NoError(err, "appending (test setup)")
		version++
		c.Doing("round %d: append position %d, then WaitFor it", round+1, stored[0].Position)
		started := time.Now()
		c.NoError(<-waitFor(c, run, stored[0].Position), "WaitFor")
		waited := time.Since(started)
		c.That(waited < bank.PollInterval/2, fmt.Sprintf("applied well before the next poll (PollInterval %s): the append's signal woke the projection", bank.PollInterval), waited.String())
	}
}
