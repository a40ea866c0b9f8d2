package production_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
	"github.com/google/uuid"
)

// appendLog appends events to the application's store, one stream, from version 0.
func (a *app) appendLog(c *spec.Check, account uuid.UUID, events ...bank.Event) []bank.Envelope {
	stored, err := a.store.Append(c.Ctx(), bank.StreamID(account.String()), 0, bank.Metadata{CorrelationID: "test", CausationID: "test", UserID: "test"}, events...)
	c.NoError(err, "appending events (test setup)")
	return stored
}

// waitFor calls WaitFor in a goroutine and returns its result on a channel.
func waitFor(c *spec.Check, run *bank.ProjectionRun, position int64) <-chan error {
	done := make(chan error, 1)
	ctx := c.Ctx()
	go func() { done <- run.WaitFor(ctx, position) }()
	return done
}

func TestGuard_WaitForReturnsOnceTheProjectionHasApplied(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "wait for returns once the projection has applied")
	a := newApp(c, t)
	stored := a.appendLog(c, ada, opened(ada, "Ada Lovelace", "EUR"), bank.MoneyDeposited{Amount: 700})
	last := stored[len(stored)-1].Position
	c.Doing("WaitFor(%d) on accounts_by_owner before its projector runs", last)
	done := waitFor(c, a.Projector.Projection(bank.AccountsByOwnerProjection), last)
	select {
	case err := <-done:
		c.NoError(err, "WaitFor")
		c.Fail("WaitFor still waiting: nothing has applied the events yet", "it returned at once, without an error")
	case <-time.After(100 * time.Millisecond):
	}
	c.Doing("run the projector: WaitFor(%d) returns once it has applied position %d", last, last)
	a.run(t)
	select {
	case err := <-done:
		c.NoError(err, "WaitFor")
	case <-time.After(5 * time.Second):
		c.Fail("WaitFor returns once the projection reached the position", "it was still waiting after 5s")
	}
	page, err := a.Queries.AccountsByOwner(c.Ctx(), bank.OwnerQuery{Owner: "Ada Lovelace", Limit: 10})
	c.NoError(err, "AccountsByOwner")
	c.That(len(page.Accounts) == 1 && page.Accounts[0].Balance == 700, "Ada's account with 700: what WaitFor waited for is there", fmt.Sprintf("%+v", page))
	c.Doing("WaitFor(%d) again, and WaitFor(1): reached already", last)
	c.NoError(<-waitFor(c, a.Projector.Projection(bank.AccountsByOwnerProjection), last), "WaitFor again")
	c.NoError(<-waitFor(c, a.Projector.Projection(bank.AccountsByOwnerProjection), 1), "WaitFor an earlier position")
}

func TestGuard_WaitForGivesUpAfterMaxReadWait(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "wait for gives up after max read wait")
	a := newApp(c, t)
	stored := a.appendLog(c, ada, opened(ada, "Ada Lovelace", "EUR"))
	a.run(t)
	pos := stored[0].Position
	c.Doing("read Ada's transactions with MinPosition %d, a position the log has not reached", pos+1)
	started := time.Now()
	_, err := a.Queries.TransactionHistory(c.Ctx(), bank.TransactionsQuery{AccountID: ada, Limit: 10, MinPosition: pos + 1})
	waited := time.Since(started)
	var behind *bank.ProjectionBehindError
	c.NoError(ignoreBehind(err), "TransactionHistory (an error it returns must wrap ErrProjectionBehind, with fmt.Errorf and %w)")
	c.That(errors.Is(err, bank.ErrProjectionBehind) && errors.As(err, &behind), "an error wrapping ErrProjectionBehind, a *ProjectionBehindError", fmt.Sprintf("%v", err))
	c.That(behind.MinPosition == pos+1 && behind.Projection.Name == bank.TransactionHistoryProjection && behind.Projection.Checkpoint == pos &&
		behind.Projection.Head == pos && behind.Projection.Lag == 0 && behind.Projection.Status == "running",
		fmt.Sprintf("MinPosition %d, and account_transactions running at checkpoint %d, head %d, lag 0", pos+1, pos, pos), fmt.Sprintf("%+v", behind))
	c.That(waited >= bank.MaxReadWait-100*time.Millisecond && waited < bank.MaxReadWait+3*time.Second,
		fmt.Sprintf("after waiting about MaxReadWait (%s)", bank.MaxReadWait), waited.String())
}

func TestGuard_WaitForIsBoundedWhileTheProjectionMoves(t *testing.T) {
	c := spec.For(t, stage)
	a := newApp(c, t)
	a.run(t)
	far := int64(1_000_000)
	c.Doing("WaitFor(%d) on account_transactions while an account gets a deposit every 200ms (the projection moves, and never gets there)", far)
	version := a.appendLog(c, ada, opened(ada, "Ada Lovelace", "EUR"))[0].Version
	stopDeposits := make(chan struct{})
	deposited := make(chan struct{})
	go func() {
		defer close(deposited)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for deadline := time.After(3 * bank.MaxReadWait); ; {
			select {
			case <-stopDeposits:
				return
			case <-deadline:
				return
			case <-tick.C:
			}
			_, err := a.store.Append(c.Ctx(), bank.StreamID(adaID), version, bank.Metadata{CorrelationID: "test", CausationID: "test", UserID: "test"}, bank.MoneyDeposited{Amount: 1})
			if err != nil {
				return // the test is over
			}
			version++
		}
	}()
	started := time.Now()
	err := <-waitFor(c, a.Projector.Projection(bank.TransactionHistoryProjection), far)
	waited := time.Since(started)
	close(stopDeposits)
	<-deposited
	c.That(errors.Is(err, bank.ErrProjectionBehind), "an error wrapping ErrProjectionBehind", fmt.Sprintf("%v", err))
	c.That(waited < bank.MaxReadWait+time.Second,
		fmt.Sprintf("after about MaxReadWait (%s) in all: the bound is for the whole wait, not renewed each time the checkpoint moves", bank.MaxReadWait), waited.String())
}

// ignoreBehind is err unless it wraps ErrProjectionBehind: a stub's TODO error
// shows as such.
func ignoreBehind(err error) error {
	if errors.Is(err, bank.ErrProjectionBehind) {
		return nil
	}
	return err
}

func TestGuard_AStoppedProjectionIsNotWaitedFor(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "a stopped projection is not waited for")
	a := newApp(c, t)
	_, err := a.db.Write.Exec(`CREATE TRIGGER no_mallory BEFORE INSERT ON accounts_by_owner_blue WHEN NEW.owner = 'Mallory'
		BEGIN SELECT RAISE(ABORT, 'Mallory is not welcome'); END`)
	c.NoError(err, "making the read model refuse Mallory (test setup)")
	refuseParking(c, a.db.Write)
	mallory := uuid.MustParse("0190c6a8-0000-7000-8000-0000000bad00")
	bad := a.appendLog(c, mallory, opened(mallory, "Mallory", "EUR"))
	a.appendLog(c, ada, opened(ada, "Ada Lovelace", "EUR"))
	later := a.appendLog(c, bob, opened(bob, "Bob", "EUR"))
	c.Doing("WaitFor(%d) on accounts_by_owner, which can neither apply nor park position %d, from before the projector runs", later[0].Position, bad[0].Position)
	started := time.Now()
	done := waitFor(c, a.Projector.Projection(bank.AccountsByOwnerProjection), later[0].Position)
	select {
	case err := <-done:
		c.NoError(err, "WaitFor")
		c.Fail("WaitFor still waiting: nothing has applied the events yet", "it returned at once, without an error")
	case <-time.After(100 * time.Millisecond):
	}
	a.run(t)
	err = <-done
	c.That(errors.Is(err, bank.ErrProjectionBehind), "an error wrapping ErrProjectionBehind (the projection has stopped)", fmt.Sprintf("%v", err))
	c.That(time.Since(started) < bank.MaxReadWait, "at once, not after MaxReadWait: a stopped projection will not get there", time.Since(started).String())
	s := a.status(c, bank.AccountsByOwnerProjection)
	c.That(s.Status == "failed" && s.Checkpoint == bad[0].Position-1 && s.Head == later[0].Position && s.Lag == 3 && strings.Contains(s.Error, "Mallory is not welcome"),
		fmt.Sprintf("failed, with its error, at checkpoint %d (before Mallory's event), head %d, lag 3", bad[0].Position-1, later[0].Position), fmt.Sprintf("%+v", s))
	c.That(strings.Contains(a.serverLog.String(), "projection stopped"), "the failure in the server's log", a.serverLog.String())
	c.Doing("WaitFor(%d) on account_transactions, which has applied everything", later[0].Position)
	c.NoError(<-waitFor(c, a.Projector.Projection(bank.TransactionHistoryProjection), later[0].Position), "WaitFor on another projection")
}

func TestGuard_AProjectionFindsEventsItWasNotToldOf(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "a projection finds events it was not told of")
	a := newApp(c, t)
	a.run(t)
	c.Doing("insert an AccountOpened with SQL, as another process would: the store sends no signal, the projector's poll finds it")
	spec.InsertEvent(c, a.db, bank.StreamID(adaID), 1, "AccountOpened", `{"account_id":"`+adaID+`","owner":"Ada","kind":"savings","currency":"EUR"}`)
	run := a.Projector.Projection(bank.AccountsByOwnerProjection)
	err := <-waitFor(c, run, 1)
	if errors.Is(err, bank.ErrProjectionBehind) {
		err = <-waitFor(c, run, 1) // a slow machine: once more
	}
	c.NoError(err, fmt.Sprintf("WaitFor(1), within %s (the poll comes every %s)", 2*bank.MaxReadWait, bank.PollInterval))
}

func TestGuard_QueriesTakeMinPosition(t *testing.T) {
	c := spec.Guard(t, stage, "outbox.go", "queries take min position")
	api, _ := newAPI(t)
	id := c.OpenAccount(api, "checking", 1000)
	c.Doing("withdraw 300 for \"rent\"")
	r := api.Post("/accounts/"+id+"/withdrawals", map[string]any{"amount": 300, "reference": "rent"})
	c.Status(r, http.StatusOK)
	pos := r.Int("position")
	today := time.Now().UTC().Format("2006-01-02")
	for _, q := range []struct{ path, want string }{
		{fmt.Sprintf("/accounts/%s/transactions?min_position=%d", id, pos), `"balance_after":-300`},
		{fmt.Sprintf("/accounts?owner=Ada%%20Lovelace&min_position=%d", pos), `"balance":-300`},
		{fmt.Sprintf("/reports/daily-totals?from=%s&to=%s&min_position=%d", today, today, pos), `"withdrawn":300`},
	} {
		c.Doing("GET %s", q.path)
		r := api.Get(q.path)
		c.Status(r, http.StatusOK)
		c.That(strings.Contains(string(r.Body), q.want), "an answer that includes the withdrawal: "+q.want, r.Describe())
	}
	c.Doing("GET /accounts/{id}/transactions?min_position=%d, a position the log has not reached", pos+1)
	r = api.Get(fmt.Sprintf("/accounts/%s/transactions?min_position=%d", id, pos+1))
	c.Status(r, http.StatusServiceUnavailable)
	c.That(r.String("projection") == bank.TransactionHistoryProjection && r.Int("checkpoint") == pos && r.Int("head") == pos &&
		r.Int("lag") == 0 && r.Int("min_position") == pos+1 && r.String("projection_status") == "running",
		fmt.Sprintf("a 503 naming account_transactions, checkpoint %d, head %d, lag 0, min_position %d, running", pos, pos, pos+1), r.Describe())
}

func TestGuard_AnEventThatCannotBeReadIsParkedAndTheProjectionGoesOn(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "an event that cannot be read is parked and the projection goes on")
	a := newApp(c, t)
	a.appendLog(c, ada, opened(ada, "Ada Lovelace", "EUR"))
	spec.InsertEvent(c, a.db, bank.StreamID(adaID), 2, "MoneyTeleported", `{"amount":5}`)
	a.appendLog(c, bob, opened(bob, "Bob", "EUR"))
	a.run(t)
	c.Doing("WaitFor(3) on accounts_by_owner, when event 2 is of a type nobody registered")
	c.NoError(<-waitFor(c, a.Projector.Projection(bank.AccountsByOwnerProjection), 3), "WaitFor(3): the projection parks event 2 and goes on")
	s := a.status(c, bank.AccountsByOwnerProjection)
	c.That(s.Status == "running" && s.Checkpoint == 3, "running, at checkpoint 3", fmt.Sprintf("%+v", s))
	parked := a.consumerDeadLetters(c, bank.AccountsByOwnerProjection)
	c.That(len(parked) == 1 && parked[0].Consumer == bank.AccountsByOwnerProjection && parked[0].Position == 2 && parked[0].Type == "MoneyTeleported" &&
		parked[0].Subject == bank.StreamID(adaID) && strings.Contains(parked[0].Reason, "MoneyTeleported"),
		"one dead letter of accounts_by_owner: position 2, MoneyTeleported, of Ada's stream, its reason naming the type", jsonOf(parked))
}

func TestGuard_AProjectionReadsOnUntilItHasReadEverything(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "a projection reads on until it has read everything")
	a := newApp(c, t)
	events := []bank.Event{opened(ada, "Ada Lovelace", "EUR")}
	for range 349 {
		events = append(events, bank.MoneyDeposited{Amount: 1})
	}
	a.appendLog(c, ada, events...)
	a.run(t)
	c.Doing("WaitFor(350) on accounts_by_owner, 350 events appended before it runs (more than it reads at a time)")
	err := <-waitFor(c, a.Projector.Projection(bank.AccountsByOwnerProjection), 350)
	c.NoError(err, fmt.Sprintf("WaitFor(350) within %s: the projector reads the next batch at once, without waiting for a signal", bank.MaxReadWait))
	page, err := a.Queries.AccountsByOwner(c.Ctx(), bank.OwnerQuery{Owner: "Ada Lovelace", Limit: 1})
	c.NoError(err, "AccountsByOwner")
	c.That(len(page.Accounts) == 1 && page.Accounts[0].Balance == 349, "Ada's account with 349", fmt.Sprintf("%+v", page))
}

func TestGuard_AnOwnersAccountsPageOverHTTP(t *testing.T) {
	c := spec.Guard(t, stage, "outbox.go", "an owners accounts page over HTTP")
	api, _ := newAPI(t)
	var ids []string
	var pos int64
	for range 3 {
		r := api.Post("/accounts", map[string]any{"owner": "Grace Hopper", "kind": "savings", "currency": "EUR"})
		c.Status(r, http.StatusCreated)
		ids, pos = append(ids, r.String("id")), r.Int("position")
	}
	slices.Sort(ids)
	path := fmt.Sprintf("/accounts?owner=Grace%%20Hopper&limit=2&min_position=%d", pos)
	c.Doing("GET %s", path)
	r := api.Get(path)
	c.Status(r, http.StatusOK)
	c.That(strings.Contains(string(r.Body), ids[0]) && strings.Contains(string(r.Body), ids[1]) && !strings.Contains(string(r.Body), ids[2]) &&
		r.String("next_after") == ids[1], "the first 2 accounts by id, and next_after the second's id", r.Describe())
	c.Doing("GET the next page: after=%s", ids[1])
	r = api.Get(path + "&after=" + ids[1])
	c.Status(r, http.StatusOK)
	c.That(strings.Contains(string(r.Body), ids[2]) && !strings.Contains(string(r.Body), ids[1]) && r.String("next_after") == "",
		"the third account only, and an empty next_after", r.Describe())
}

func TestGuard_AFailedProjectionIsA503WithoutRetryAfter(t *testing.T) {
	c := spec.Guard(t, stage, "outbox.go", "A failed projection is A503 without retry after")
	api, db := newAPI(t)
	for _, table := range []string{"accounts_by_owner", "daily_totals"} {
		_, err := db.Write.Exec(`CREATE TRIGGER no_mallory_` + table + ` BEFORE INSERT ON ` + table + `_blue BEGIN SELECT RAISE(ABORT, 'Mallory is not welcome'); END`)
		c.NoError(err, "making "+table+" refuse every row (test setup)")
	}
	refuseParking(c, db.Write)
	r := api.Post("/accounts", map[string]any{"owner": "Mallory", "kind": "savings", "currency": "EUR"})
	c.Status(r, http.StatusCreated)
	id := r.String("id")
	r = api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 5})
	c.Status(r, http.StatusOK)
	pos, today := r.Int("position"), time.Now().UTC().Format("2006-01-02")
	for _, q := range []struct{ path, projection string }{
		{fmt.Sprintf("/accounts?owner=Mallory&min_position=%d", pos), bank.AccountsByOwnerProjection},
		{fmt.Sprintf("/reports/daily-totals?from=%s&to=%s&min_position=%d", today, today, pos), bank.DailyTotalsProjection},
	} {
		c.Doing("GET %s: %s stopped on the first event it could not apply", q.path, q.projection)
		r = api.Get(q.path)
		c.Status(r, http.StatusServiceUnavailable)
		c.That(r.String("projection") == q.projection && r.String("projection_status") == "failed" && r.Header.Get("Retry-After") == "" && strings.Contains(r.String("detail"), "fixed"),
			"the query's own read model ("+q.projection+"), failed, no Retry-After (waiting will not help), and a detail that says it must be fixed first", r.Describe())
	}
	c.Doing("GET /accounts/{id}/transactions?min_position=%d: account_transactions applied everything", pos)
	c.Status(api.Get(fmt.Sprintf("/accounts/%s/transactions?min_position=%d", id, pos)), http.StatusOK)
}
