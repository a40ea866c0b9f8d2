package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// make demo-rebuild: stage 6 rebuilds a read model blue-green. The rebuild
// fills the other build from position 0 while queries go on reading the live
// one, and one transaction switches the views once it has caught up. The
// demo pauses the rebuild half way by taking the write lock between two of
// its batches, shows GET /projections and a query meanwhile, lets go, and
// shows the switch.

const (
	rebuildProjection = "accounts_by_owner"
	rebuildOwner      = "Ada Lovelace"
	rebuildAccounts   = 100
	rebuildDeposits   = 9 // per account: a log of 1000 events, ten batches of 100 to rebuild
)

// projectionStatus is one row of GET /projections.
type projectionStatus struct {
	Name       string `json:"name"`
	Version    int    `json:"version"`
	Build      string `json:"build"`
	Checkpoint int64  `json:"checkpoint"`
	Head       int64  `json:"head"`
	Lag        int64  `json:"lag"`
	Status     string `json:"status"`
	Rebuild    *struct {
		Build      string `json:"build"`
		Checkpoint int64  `json:"checkpoint"`
		Lag        int64  `json:"lag"`
	} `json:"rebuild"`
}

// projectionsTable is GET /projections as a table.
func projectionsTable(all []projectionStatus) *table {
	t := newTable("projection", "live build", "checkpoint", "head", "lag", "status", "rebuild into", "its checkpoint", "its lag")
	for _, p := range all {
		into, at, lag := "", "", ""
		if p.Rebuild != nil {
			into, at, lag = p.Rebuild.Build, fmt.Sprint(p.Rebuild.Checkpoint), fmt.Sprint(p.Rebuild.Lag)
		}
		t.add(p.Name, p.Build, p.Checkpoint, p.Head, p.Lag, p.Status, into, at, lag)
	}
	return t
}

// projections reads GET /projections, and the row of the one called name.
func projections(srv *demoServer, name string) ([]projectionStatus, projectionStatus, error) {
	var answer struct {
		Projections []projectionStatus `json:"projections"`
	}
	_, err := srv.get("/projections", &answer)
	for _, p := range answer.Projections {
		if p.Name == name {
			return answer.Projections, p, err
		}
	}
	return answer.Projections, projectionStatus{}, err
}

// rebuildLook is the projection and Ada's query at one moment of the demo.
type rebuildLook struct {
	status projectionStatus
	answer []byte // GET /accounts?owner=Ada Lovelace
}

// rebuildRun is one run of the demo: the server, and what it showed.
type rebuildRun struct {
	*demo
	srv                   *demoServer
	adaOpened, head       int64
	before, during, after rebuildLook
}

func demoRebuild(d *demo) (string, error) {
	srv, err := d.server("", d.freshDB())
	if err != nil {
		return "", err
	}
	r := &rebuildRun{demo: d, srv: srv}
	for _, part := range []func() error{r.seed, r.pause, r.finish} {
		if err := part(); err != nil {
			return "", err
		}
	}
	return r.verdict()
}

// look reads GET /projections (printing it when note is set) and Ada's query.
func (r *rebuildRun) look(note string) (rebuildLook, error) {
	all, p, err := projections(r.srv, rebuildProjection)
	if err != nil {
		return rebuildLook{}, err
	}
	if note != "" {
		r.note("%s", note)
		r.table(projectionsTable(all))
	}
	answer, err := r.srv.get("/accounts?owner="+url.QueryEscape(rebuildOwner), nil)
	return rebuildLook{status: p, answer: answer}, err
}

// seed gives the bank a history and waits until the read model has all of it.
func (r *rebuildRun) seed() (err error) {
	r.step(fmt.Sprintf("Stage 6 with some history: %d accounts, %d deposits each.", rebuildAccounts, rebuildDeposits),
		"Each read model is a cache of the log, built by a projection that keeps a checkpoint.")
	if r.adaOpened, r.head, err = rebuildSeed(r.srv); err != nil {
		return err
	}
	if err := awaitProjection(r.srv, rebuildProjection, func(p projectionStatus) bool { return p.Checkpoint >= r.head }); err != nil {
		return err
	}
	r.before, err = r.look("GET /projections:")
	return err
}

// rebuiltHalfWay says, read under the write lock, whether this is the moment
// to hold the rebuild: 1 once its build's checkpoint has reached the second
// argument and not yet the third (Ada's account), 0 before that, -1 once it is
// past Ada's account or over (the live build is no longer the first argument).
// The demo takes the lock at the first gap between two batches past half of the
// log, so the room sees a build half done.
const rebuiltHalfWay = `SELECT CASE
	WHEN m.live <> ? THEN -1
	WHEN m.building IS NULL THEN 0
	WHEN c.position >= ? THEN -1
	WHEN c.position >= ? THEN 1
	ELSE 0 END
	FROM read_models m LEFT JOIN checkpoints c ON c.projection = m.projection AND c.build = m.building
	WHERE m.projection = ?`

// rebuildAttempts bounds the rebuilds the demo starts to catch one between two
// batches: a gap lasts a read of the log, and a busy machine can miss all five
// gaps past half of it (about 1 run in 8 with both cores busy).
const rebuildAttempts = 5

// pause starts the rebuild and takes the write lock the first time it is between
// two batches past half of the log; it looks while the rebuild waits, then lets go.
func (r *rebuildRun) pause() (err error) {
	r.step("POST /projections/"+rebuildProjection+"/rebuild (202: started), and the demo takes the write lock between two of its batches, half way through the log.",
		"The rebuild fills the other build from position 0. The live one goes on serving, untouched.")
	taker, err := openLockTaker(r.srv.db)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, taker.close()) }()
	lock, started, err := r.rebuildHalfWay(taker)
	for attempt := 2; errors.Is(err, errMomentPassed) && attempt <= rebuildAttempts; attempt++ {
		r.note("the rebuild ran past half way before the demo caught it between two batches; it rebuilds again (%d of %d)", attempt, rebuildAttempts)
		if err := r.awaitSwitch(); err != nil {
			return err
		}
		if r.before, err = r.look(""); err != nil {
			return err
		}
		lock, started, err = r.rebuildHalfWay(taker)
	}
	if errors.Is(err, errMomentPassed) {
		return notShown("%d rebuilds ran past half way before the demo could hold one between two batches (is the machine very busy?)", rebuildAttempts)
	}
	if err != nil {
		return err
	}
	r.note("the answer of the POST:")
	r.json(started)
	r.during, err = r.look("GET /projections while the rebuild is paused half way:")
	if err := errors.Join(err, lock.release()); err != nil {
		return err
	}
	r.note("GET /accounts?owner=%s meanwhile: her account, opened at position %d, from the live build %s, complete:",
		url.QueryEscape(rebuildOwner), r.adaOpened, r.during.status.Build)
	r.json(r.during.answer)
	return nil
}

// rebuildHalfWay posts a rebuild and holds the write lock between two of its
// batches past half of the log; it returns the lock and the POST's answer.
func (r *rebuildRun) rebuildHalfWay(taker *lockTaker) (*writeLock, []byte, error) {
	posted := make(chan error, 1)
	var started []byte
	go func() {
		var err error
		started, err = r.srv.want(http.StatusAccepted, http.MethodPost, "/projections/"+rebuildProjection+"/rebuild", nil, nil)
		posted <- err
	}()
	lock, err := taker.takeWhen(10*time.Second, rebuiltHalfWay, r.before.status.Build, r.adaOpened, r.head/2, rebuildProjection)
	if err := errors.Join(err, <-posted); err != nil {
		if lock != nil {
			err = errors.Join(err, lock.release())
		}
		return nil, nil, err
	}
	return lock, started, nil
}

// awaitSwitch waits until the rebuild is over and its build live.
func (r *rebuildRun) awaitSwitch() error {
	return awaitProjection(r.srv, rebuildProjection, func(p projectionStatus) bool {
		return p.Rebuild == nil && p.Build != r.before.status.Build
	})
}

// finish waits for the switch and shows it, with the projector's log lines.
func (r *rebuildRun) finish() (err error) {
	r.step("Let go: the rebuild catches up with the log, and one transaction points the views at the new build.",
		"No query ever sees a half-built read model: before the switch the old build, after it the new one, complete.")
	if err := r.awaitSwitch(); err != nil {
		return err
	}
	if r.after, err = r.look("GET /projections after the switch:"); err != nil {
		return err
	}
	for _, line := range r.srv.log.await(2, 2*time.Second, "projection: ", "projection="+rebuildProjection) {
		r.note("  %s", withoutTime(line))
	}
	return nil
}

// verdict checks that the demo caught the rebuild half way, with queries on
// the complete live build, and the same answer throughout.
func (r *rebuildRun) verdict() (string, error) {
	before, during, after := r.before, r.during, r.after
	switch {
	case during.status.Rebuild == nil:
		return "", notShown("the rebuild was over before the demo could pause it: GET /projections never showed it running")
	case during.status.Build != before.status.Build || during.status.Rebuild.Checkpoint >= r.adaOpened:
		return "", notShown("while paused, the live build was %s (before: %s) and the rebuild at %d, past Ada's account at %d",
			during.status.Build, before.status.Build, during.status.Rebuild.Checkpoint, r.adaOpened)
	case string(after.answer) != string(before.answer) || string(during.answer) != string(before.answer):
		return "", notShown("the query's answer changed across the rebuild:\nbefore %s\nduring %s\nafter  %s", before.answer, during.answer, after.answer)
	}
	return fmt.Sprintf("rebuilt beside the live model: while build %s filled (paused at position %d of %d), queries read the complete build %s "+
		"(Ada's account, opened at %d, was there); then one switch made %s live at %d, and her query answered the same before, during and after",
		during.status.Rebuild.Build, during.status.Rebuild.Checkpoint, r.head, before.status.Build, r.adaOpened, after.status.Build, after.status.Checkpoint), nil
}

// rebuildSeed opens the other customers' accounts and makes their deposits,
// a few workers at a time, and then Ada's, last: her account is at the end of
// the log, where a half-built read model has not got to. It returns the
// position of her first event and of the last one.
func rebuildSeed(srv *demoServer) (ada, head int64, err error) {
	var mu sync.Mutex
	work := make(chan int)
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for i := range work {
				_, _, e := rebuildSeedAccount(srv, fmt.Sprintf("Customer %d", i))
				mu.Lock()
				err = errors.Join(err, e)
				mu.Unlock()
			}
		})
	}
	for i := 1; i < rebuildAccounts; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	if err != nil {
		return 0, 0, err
	}
	return rebuildSeedAccount(srv, rebuildOwner)
}

// rebuildSeedAccount opens an account for owner and makes its deposits; it
// returns the positions of its first and its last event.
func rebuildSeedAccount(srv *demoServer, owner string) (first, last int64, err error) {
	var res struct {
		ID       string `json:"id"`
		Position int64  `json:"position"`
	}
	open := map[string]any{"owner": owner, "kind": "savings", "currency": "EUR", "overdraft_limit": 0}
	if _, err := srv.want(http.StatusCreated, http.MethodPost, "/accounts", open, &res); err != nil {
		return 0, 0, err
	}
	id, first := res.ID, res.Position
	for k := range rebuildDeposits {
		body := map[string]any{"amount": 100 * (k + 1), "reference": "deposit"}
		if _, err := srv.want(http.StatusOK, http.MethodPost, "/accounts/"+id+"/deposits", body, &res); err != nil {
			return 0, 0, err
		}
	}
	return first, res.Position, nil
}

// awaitProjection waits (at most 20 s) until the projection called name is as
// done says.
func awaitProjection(srv *demoServer, name string, done func(projectionStatus) bool) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, p, err := projections(srv, name)
		if err != nil {
			return err
		}
		if done(p) {
			return nil
		}
		if time.Now().After(deadline) {
			return notShown("projection %s is not there within 20 s: %+v", name, p)
		}
		time.Sleep(50 * time.Millisecond) // the projector works asynchronously; bounded above
	}
}
