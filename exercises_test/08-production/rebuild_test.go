package production_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
	"github.com/google/uuid"
)

// Stage 6 (kept): a rebuild fills the other build beside the live one, and takes over
// in one transaction once it has caught up.

// gate holds a projection's Apply calls after the first `free` ones until it is
// opened: a rebuild caught in the middle.
type gate struct {
	calls   atomic.Int64
	free    int64
	entered chan struct{} // closed at the first held call
	open    chan struct{}
}

// gated wraps p's Apply in a gate.
func gated(p bank.Projection, free int64) (bank.Projection, *gate) {
	g := &gate{free: free, entered: make(chan struct{}), open: make(chan struct{})}
	inner := p.Apply
	p.Apply = func(ctx context.Context, rm bank.ReadModelTx, e bank.Envelope) error {
		if g.calls.Add(1) == g.free+1 {
			close(g.entered)
		}
		if g.calls.Load() > g.free {
			select {
			case <-g.open:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return inner(ctx, rm, e)
	}
	return p, g
}

// wait waits until a call is held at the gate.
func (g *gate) wait(c *spec.Check) {
	select {
	case <-g.entered:
	case <-time.After(spec.Patience):
		c.Fail("the rebuild applying an event", "nothing within "+spec.Patience.String())
	}
}

// waitSwitched waits until the projection's live build is build.
func waitSwitched(c *spec.Check, a *app, projector *bank.Projector, name, build string) bank.ProjectionStatus {
	for deadline := time.Now().Add(spec.Patience); ; time.Sleep(2 * time.Millisecond) { // polling a condition, bounded
		s := a.statusOf(c, projector, name)
		if s.Build == build && s.Rebuild == nil {
			return s
		}
		if s.Status != "running" || time.Now().After(deadline) {
			c.Fail(fmt.Sprintf("%s switched to build %s within %s (its views, read_models and the projector's memory)", name, build, spec.Patience), jsonOf(s))
		}
	}
}

// tablesOnceSettled is tables, read again until it is want or spec.Patience has
// passed: the old build is dropped just after the switch, not in its transaction.
func tablesOnceSettled(c *spec.Check, a *app, prefix, want string) string {
	for deadline := time.Now().Add(spec.Patience); ; time.Sleep(2 * time.Millisecond) { // polling a condition, bounded
		if got := tables(c, a, prefix); got == want || time.Now().After(deadline) {
			return got
		}
	}
}

// tables lists the database's tables and views whose names start with prefix.
func tables(c *spec.Check, a *app, prefix string) string {
	var names string
	c.NoError(a.db.Read.QueryRow(`SELECT COALESCE(group_concat(type || ' ' || name, ', '), '') FROM
		(SELECT type, name FROM sqlite_master WHERE name LIKE ? || '%' AND type IN ('table', 'view') ORDER BY type, name)`, prefix).Scan(&names), "reading sqlite_master")
	return names
}

func TestGuard_ARebuiltReadModelEqualsTheLiveOne(t *testing.T) {
	c := spec.Guard(t, stage, "projection_rebuild.go", "a rebuilt read model equals the live one")
	a := newApp(c, t)
	poison := int64(len(storyLog(c, a)) + 1)
	spec.InsertEvent(c, a.db, bank.StreamID(adaID), 4, "MoneyTeleported", `{}`)
	var last int64
	for i := range 150 {
		last = a.appendMore(c, bob, bank.MoneyDeposited{Amount: int64(i)})[0].Position
	}
	a.run(t)
	names := []string{bank.AccountsByOwnerProjection, bank.TransactionHistoryProjection, bank.DailyTotalsProjection}
	for _, name := range names {
		c.NoError(<-waitFor(c, a.Projector.Projection(name), last), "WaitFor on "+name)
	}
	before := readModels(c, a)
	c.Doing("rebuild every projection")
	for _, name := range names {
		s, err := a.Projector.Rebuild(c.Ctx(), name)
		c.NoError(err, "Rebuild("+name+")")
		c.That(s.Build == "blue" && s.Rebuild != nil && s.Rebuild.Build == "green" && s.Rebuild.Version == 1,
			"the answer: live build blue, a rebuild into green at version 1", fmt.Sprintf("%+v", s))
	}
	for _, name := range names {
		s := waitSwitched(c, a, a.Projector, name, "green")
		c.That(s.Checkpoint == last && s.Version == 1, fmt.Sprintf("%s at checkpoint %d, version 1", name, last), fmt.Sprintf("%+v", s))
	}
	c.Equal(before, readModels(c, a), "the read models after the rebuild (the same rows)")
	c.Equal("table accounts_by_owner_green, view accounts_by_owner", tablesOnceSettled(c, a, "accounts_by_owner", "table accounts_by_owner_green, view accounts_by_owner"),
		"the tables of accounts_by_owner (the blue build dropped after the switch, in a transaction of its own)")
	parked := a.consumerDeadLetters(c, bank.AccountsByOwnerProjection)
	c.That(len(parked) == 1 && parked[0].Build == "green" && parked[0].Position == poison, "one dead letter: the poison event, parked again by the green build", jsonOf(parked))
	c.Doing("start the projector again after the switch")
	restarted := openApp(c, a.db)
	s := restarted.status(c, bank.AccountsByOwnerProjection)
	c.That(s.Build == "green" && s.Version == 1 && s.Rebuild == nil && s.Checkpoint == last,
		fmt.Sprintf("green live at checkpoint %d, version 1, no rebuild (the switch is recorded in read_models)", last), fmt.Sprintf("%+v", s))
	c.Doing("append after the switch, and rebuild again (back into blue)")
	last = a.appendMore(c, ada, bank.MoneyDeposited{Amount: 1})[0].Position
	c.NoError(<-waitFor(c, a.Projector.Projection(bank.AccountsByOwnerProjection), last), "WaitFor: the green build is live and follows the log")
	_, err := a.Projector.Rebuild(c.Ctx(), bank.AccountsByOwnerProjection)
	c.NoError(err, "Rebuild")
	waitSwitched(c, a, a.Projector, bank.AccountsByOwnerProjection, "blue")
	page, err := a.Queries.AccountsByOwner(c.Ctx(), bank.OwnerQuery{Owner: "Ada Lovelace", Limit: 10})
	c.NoError(err, "AccountsByOwner")
	c.That(len(page.Accounts) == 1 && page.Accounts[0].Balance == 3801, "Ada's account with 3801", fmt.Sprintf("%+v", page.Accounts))
}

func TestGuard_QueriesNeverSeeAHalfBuiltReadModel(t *testing.T) {
	c := spec.Guard(t, stage, "projection_rebuild.go", "queries never see a half built read model")
	a := newApp(c, t)
	log := storyLog(c, a)
	p, g := gated(bank.AccountsByOwner(), int64(len(log))+2) // the live build applies the log; the rebuild stops at its third event
	p.BatchSize = 1
	projector := a.projector(c, p)
	runProjector(t, projector)
	c.NoError(<-waitFor(c, projector.Projection(p.Name), log[len(log)-1].Position), "WaitFor(the last event)")
	query := func() string {
		page, err := a.Queries.AccountsByOwner(c.Ctx(), bank.OwnerQuery{Owner: "Ada Lovelace", Limit: 10})
		c.NoError(err, "AccountsByOwner")
		return jsonOf(page.Accounts)
	}
	want := query()
	c.Doing("rebuild accounts_by_owner and query it while the rebuild is half way")
	_, err := projector.Rebuild(c.Ctx(), p.Name)
	c.NoError(err, "Rebuild")
	g.wait(c)
	c.Equal(want, query(), "Ada's accounts during the rebuild (the live build, whole)")
	s := a.statusOf(c, projector, p.Name)
	c.That(s.Build == "blue" && s.Checkpoint == log[len(log)-1].Position && s.Rebuild != nil && s.Rebuild.Checkpoint == 2 && s.Rebuild.Lag == 3,
		"the live build blue at the head, the rebuild at checkpoint 2, lag 3", fmt.Sprintf("%+v", s))
	_, err = projector.Rebuild(c.Ctx(), p.Name)
	c.ErrorIs(err, bank.ErrRebuildInProgress, "ErrRebuildInProgress for a second rebuild")
	close(g.open)
	waitSwitched(c, a, projector, p.Name, "green")
	c.Equal(want, query(), "Ada's accounts after the switch (the green build, whole)")
}

func TestGuard_TheSwitchWaitsUntilTheRebuildHasCaughtUp(t *testing.T) {
	c := spec.Guard(t, stage, "projection_rebuild.go", "the switch waits until the rebuild has caught up")
	a := newApp(c, t)
	log := storyLog(c, a)
	p, g := gated(bank.AccountsByOwner(), int64(2*len(log)-1)) // the rebuild stops at the last event of the log
	p.BatchSize = 1
	projector := a.projector(c, p)
	runProjector(t, projector)
	c.NoError(<-waitFor(c, projector.Projection(p.Name), log[len(log)-1].Position), "WaitFor(the last event)")
	execAll(c, a.db.Write, `CREATE TABLE switches (checkpoint INTEGER, head INTEGER)`,
		`CREATE TRIGGER at_switch AFTER UPDATE OF live ON read_models BEGIN INSERT INTO switches
			SELECT position, (SELECT MAX(global_position) FROM events) FROM checkpoints WHERE projection = NEW.projection AND build = NEW.live; END`)
	_, err := projector.Rebuild(c.Ctx(), p.Name)
	c.NoError(err, "Rebuild")
	g.wait(c)
	c.Doing("append a deposit in a transaction that waits for the rebuild's last batch, and holds the write lock for 300 ms " +
		"(long enough for the rebuild to find nothing more to read, and to ask for its switch)")
	holding := make(chan int64, 1)
	go func() { // queued for the write connection, which the rebuild's batch holds
		holding <- holdAnAppend(a, 300*time.Millisecond)
	}()
	for deadline := time.Now().Add(spec.Patience); a.db.Write.Stats().WaitCount == 0; time.Sleep(time.Millisecond) { // polling, bounded
		if time.Now().After(deadline) {
			c.Fail("the append waiting for the write connection", "it did not ask for it")
		}
	}
	close(g.open)
	later := <-holding
	c.That(later > 0, "the deposit appended", "an error")
	waitSwitched(c, a, projector, p.Name, "green")
	var atSwitch, head int64
	c.Equal(1, count(c, a.db, "switches"), "switches recorded in read_models (its live column updated once, in the switch's transaction)")
	c.NoError(a.db.Read.QueryRow(`SELECT checkpoint, head FROM switches`).Scan(&atSwitch, &head), "reading the switch's checkpoint")
	c.That(atSwitch == head && head >= later, fmt.Sprintf("the green build at the head of the log (%d) when it took over", head),
		fmt.Sprintf("checkpoint %d, head %d: a switch before the rebuild caught up shows an older read model than the one it replaced", atSwitch, head))
	c.NoError(<-waitFor(c, projector.Projection(p.Name), later), "WaitFor(the deposit)")
	page, err := a.Queries.AccountsByOwner(c.Ctx(), bank.OwnerQuery{Owner: "Ada Lovelace", Limit: 10})
	c.NoError(err, "AccountsByOwner")
	c.That(len(page.Accounts) == 1 && page.Accounts[0].Balance == 4000, "Ada's account with 4000 (the deposit made during the rebuild too)", fmt.Sprintf("%+v", page.Accounts))
}

// holdAnAppend appends a deposit of 200 to Ada's stream (version 4) in a
// transaction of its own that holds the write lock for hold before it commits,
// and returns the deposit's position (0 on an error).
func holdAnAppend(a *app, hold time.Duration) int64 {
	ctx := context.Background()
	tx, err := a.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return 0
	}
	defer tx.Rollback()
	res, err := tx.Exec(`INSERT INTO events (event_id, stream_id, version, event_type, schema_version, data, metadata, recorded_at)
		VALUES (?, ?, 4, 'MoneyDeposited', 1, '{"amount":200}', '{}', ?)`, uuid.NewString(), bank.StreamID(adaID), time.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return 0
	}
	time.Sleep(hold) // holding the lock on purpose: the window a switch must not slip through
	if tx.Commit() != nil {
		return 0
	}
	position, _ := res.LastInsertId()
	return position
}

func TestGuard_TheSwitchIsOneTransaction(t *testing.T) {
	c := spec.Guard(t, stage, "projection_rebuild.go", "the switch is one transaction")
	a := newApp(c, t)
	log := storyLog(c, a)
	p := bank.AccountsByOwner()
	projector := a.projector(c, p)
	runProjector(t, projector)
	c.NoError(<-waitFor(c, projector.Projection(p.Name), log[len(log)-1].Position), "WaitFor(the last event)")
	execAll(c, a.db.Write, `CREATE TRIGGER no_switch BEFORE UPDATE OF live ON read_models BEGIN SELECT RAISE(ABORT, 'no switch today'); END`)
	c.Doing("rebuild when the switch cannot be recorded")
	_, err := projector.Rebuild(c.Ctx(), p.Name)
	c.NoError(err, "Rebuild")
	for deadline := time.Now().Add(spec.Patience); a.statusOf(c, projector, p.Name).Status == "running"; time.Sleep(time.Millisecond) { // polling, bounded
		if time.Now().After(deadline) {
			c.Fail("the projection failing on the switch", fmt.Sprintf("%+v", a.statusOf(c, projector, p.Name)))
		}
	}
	s := a.statusOf(c, projector, p.Name)
	c.That(s.Build == "blue" && strings.Contains(s.Error, "no switch today"), "still on the blue build, failed with the switch's error", fmt.Sprintf("%+v", s))
	var view string
	c.NoError(a.db.Read.QueryRow(`SELECT sql FROM sqlite_master WHERE type = 'view' AND name = 'accounts_by_owner'`).Scan(&view), "reading the view")
	c.That(strings.Contains(view, "accounts_by_owner_blue"), "the view still showing the blue build (the views move in the switch's transaction, which failed)", view)
	c.Equal("table accounts_by_owner_blue, table accounts_by_owner_green, view accounts_by_owner", tables(c, a, "accounts_by_owner"), "the tables (none dropped)")
	page, err := a.Queries.AccountsByOwner(c.Ctx(), bank.OwnerQuery{Owner: "Ada Lovelace", Limit: 10})
	c.NoError(err, "AccountsByOwner")
	c.That(len(page.Accounts) == 1 && page.Accounts[0].Balance == 3800, "Ada's account with 3800, from the blue build", fmt.Sprintf("%+v", page.Accounts))
}

func TestGuard_ANewVersionIsBuiltBesideTheOldOneWhichServesMeanwhile(t *testing.T) {
	c := spec.Guard(t, stage, "projection_rebuild.go", "a new version is built beside the old one which serves meanwhile")
	a := newApp(c, t)
	v1, _ := tally("tally", nil)
	log := storyLog(c, a)
	first := a.projector(c, v1)
	stop := runProjector(t, first)
	c.NoError(<-waitFor(c, first.Projection("tally"), log[len(log)-1].Position), "WaitFor on version 1")
	stop()
	later := a.appendMore(c, ada, bank.MoneyDeposited{Amount: 7})[0]
	c.Doing("start again with version 2 of the projection (a new column: the largest deposit)")
	v2 := bank.Projection{Name: "tally", Version: 2, Tables: []string{"tally"},
		Schema: []string{`CREATE TABLE {tally} (stream TEXT PRIMARY KEY, events INTEGER NOT NULL, deposited INTEGER NOT NULL, largest INTEGER NOT NULL)`},
		Apply: func(ctx context.Context, rm bank.ReadModelTx, e bank.Envelope) error {
			var amount int64
			if d, ok := e.Event.(bank.MoneyDeposited); ok {
				amount = d.Amount
			}
			_, err := rm.Exec(ctx, `INSERT INTO {tally} (stream, events, deposited, largest) VALUES (?, 1, ?, ?)
				ON CONFLICT (stream) DO UPDATE SET events = events + 1, deposited = deposited + excluded.deposited, largest = max(largest, excluded.largest)`,
				e.StreamID, amount, amount)
			return err
		}}
	v2, g := gated(v2, 2)
	second := a.projector(c, v2)
	s := a.statusOf(c, second, "tally")
	c.That(s.Version == 1 && s.Build == "blue" && s.Rebuild != nil && s.Rebuild.Version == 2 && s.Rebuild.Build == "green",
		"version 1 live in blue, version 2 being built into green", fmt.Sprintf("%+v", s))
	runProjector(t, second)
	g.wait(c)
	c.Equal(fmt.Sprintf("%s 2 70; %s 3 5000", short(bank.StreamID(bobID)), short(bank.StreamID(adaID))), tallies(c, a, "tally"),
		"the view during the rebuild (version 1, as it was before the last deposit: the new code does not write the old shape)")
	close(g.open)
	s = waitSwitched(c, a, second, "tally", "green")
	c.That(s.Version == 2 && s.Checkpoint >= later.Position, "version 2 live, caught up with the deposit", fmt.Sprintf("%+v", s))
	var largest int64
	c.NoError(a.db.Read.QueryRow(`SELECT largest FROM tally WHERE stream = ?`, bank.StreamID(adaID)).Scan(&largest), "reading the new column through the view")
	c.Equal(int64(5000), largest, "Ada's largest deposit")
	c.Equal(fmt.Sprintf("%s 2 70; %s 4 5007", short(bank.StreamID(bobID)), short(bank.StreamID(adaID))), tallies(c, a, "tally"), "the view after the switch")
}

func TestGuard_ARebuildGoesOnAfterARestart(t *testing.T) {
	c := spec.Guard(t, stage, "projection_rebuild.go", "a rebuild goes on after a restart")
	a := newApp(c, t)
	log := storyLog(c, a)
	p, g := gated(bank.AccountsByOwner(), int64(len(log))+1)
	p.BatchSize = 1
	projector := a.projector(c, p)
	stop := runProjector(t, projector)
	c.NoError(<-waitFor(c, projector.Projection(p.Name), log[len(log)-1].Position), "WaitFor(the last event)")
	_, err := projector.Rebuild(c.Ctx(), p.Name)
	c.NoError(err, "Rebuild")
	g.wait(c)
	stop()
	c.Doing("start the server again in the middle of a rebuild")
	again := a.projector(c, bank.AccountsByOwner())
	s := a.statusOf(c, again, p.Name)
	c.That(s.Build == "blue" && s.Rebuild != nil && s.Rebuild.Build == "green" && s.Rebuild.Checkpoint == 1,
		"blue live, the rebuild into green going on from its checkpoint 1", fmt.Sprintf("%+v", s))
	runProjector(t, again)
	waitSwitched(c, a, again, p.Name, "green")
	page, err := a.Queries.AccountsByOwner(c.Ctx(), bank.OwnerQuery{Owner: "Bob", Limit: 10})
	c.NoError(err, "AccountsByOwner")
	c.That(len(page.Accounts) == 1 && page.Accounts[0].Balance == 70, "Bob's account with 70", fmt.Sprintf("%+v", page.Accounts))
}

func TestGuard_RebuildOverHTTP(t *testing.T) {
	c := spec.Guard(t, stage, "projection_rebuild.go", "rebuild over HTTP")
	api, _ := newAPI(t)
	id := c.OpenAccount(api, "savings", 0)
	r := api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 300})
	c.Status(r, http.StatusOK)
	pos := r.Int("position")
	c.Doing("POST /projections/accounts_by_owner/rebuild")
	r = api.Post("/projections/accounts_by_owner/rebuild", nil)
	c.NoStub(r)
	c.Status(r, http.StatusAccepted)
	c.That(r.String("name") == "accounts_by_owner" && r.String("build") == "blue" && strings.Contains(string(r.Body), `"rebuild":{"build":"green"`),
		"the projection's status as the rebuild starts: accounts_by_owner, live build blue with a rebuild into green", r.Describe())
	awaitOwnersOnGreen(c, api)
	r = api.Get(fmt.Sprintf("/accounts?owner=Ada%%20Lovelace&min_position=%d", pos))
	c.Status(r, http.StatusOK)
	c.That(strings.Contains(string(r.Body), `"balance":300`), "Ada's account with 300 after the rebuild", r.Describe())
	for _, bad := range []struct {
		path string
		body any
		want int
	}{
		{"/projections/nonsense/rebuild", nil, http.StatusNotFound},
		{"/projections/accounts_by_owner/rebuild", `{"from":5}`, http.StatusBadRequest},
	} {
		c.Doing("POST %s %v", bad.path, bad.body)
		c.Status(api.Post(bad.path, bad.body), bad.want)
	}
}

// awaitOwnersOnGreen waits (bounded) until GET /projections shows
// accounts_by_owner rebuilt: live on build green, no rebuild running.
func awaitOwnersOnGreen(c *spec.Check, api *spec.API) {
	for deadline := time.Now().Add(spec.Patience); ; time.Sleep(5 * time.Millisecond) { // polling a condition, bounded
		r := api.Get("/projections")
		if strings.Contains(string(r.Body), `"name":"accounts_by_owner","version":1,"build":"green"`) && !strings.Contains(string(r.Body), `"rebuild"`) {
			return
		}
		if time.Now().After(deadline) {
			c.Fail("GET /projections showing accounts_by_owner on build green", r.Describe())
		}
	}
}
