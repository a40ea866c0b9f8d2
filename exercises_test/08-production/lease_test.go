package production_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// openFile opens the database file path (a second handle on one file: a second server).
func openFile(c *spec.Check, t *testing.T, path string) *sqlitedb.DB {
	db, err := sqlitedb.Open(path)
	c.NoError(err, "opening "+path)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func relayStatus(s *server) string {
	relay, _ := s.Get("/outbox").JSON()["relay"].(map[string]any)
	status, _ := relay["status"].(string)
	return status
}

func TestGuard_TwoServersOnOneFileNeverBothPublish(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "two servers on one file never both publish")
	c.KeptBy("relay_lease.go and relay.go (Run, holdLease)")
	path := filepath.Join(t.TempDir(), "bank.db")
	first := startServer(t, openFile(c, t, path), newRecorder(), fastRelay())
	c.Doing("start a server, then a second one on the same file")
	waitUntil(c, "the first server's relay running", func() bool { return relayStatus(first) == "running" })
	second := startServer(t, openFile(c, t, path), newRecorder(), fastRelay())
	waitUntil(c, "the second server's relay on standby", func() bool { return relayStatus(second) == "standby" })
	c.Doing("open an account and deposit on each server, 5 times")
	for i := range 5 {
		for _, s := range []*server{first, second} {
			id := c.OpenAccount(s.API, "savings", 0)
			c.Status(s.Post("/accounts/"+id+"/deposits", map[string]any{"amount": i + 1}), http.StatusOK)
		}
	}
	first.pub.await(c, first.relay, "all 20 messages delivered by the first server's relay", func(got []bank.IntegrationMessage) bool { return len(got) >= 20 })
	c.Equal(0, len(second.pub.acknowledged()), "messages the second server's relay published (it is on standby: the first holds the lease)")
	c.Equal(20, len(first.pub.acknowledged()), "messages the first published (each once)")
	waitRows(c, first, "every message marked published", func(rows []row) bool {
		return len(rows) == 20 && !slices.ContainsFunc(rows, func(r row) bool { return r.Status != "published" })
	})

	c.Doing("stop the first server; then deposit on the second")
	first.stop()
	first.srv.Wait()
	id := c.OpenAccount(second.API, "savings", 0)
	second.pub.await(c, second.relay, "the second server's relay taking over (the first gave the lease back) and delivering the new account's message", func(got []bank.IntegrationMessage) bool {
		return len(got) == 1 && got[0].Subject == id
	})
	c.Equal(20, len(first.pub.acknowledged()), "messages the first server published in all")
}

func TestGuard_AnExpiredLeaseIsTakenOverAndALiveOneIsNot(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "an expired lease is taken over and a live one is not")
	c.KeptBy("relay_lease.go (acquire)")
	db := spec.OpenDB(t)
	_, err := bank.NewEventStore(c.Ctx(), db, bank.NewRegistry())
	c.NoError(err, "NewEventStore")
	execAll(c, db.Write, fmt.Sprintf(`INSERT INTO relay_lease (name, holder, expires_at) VALUES ('outbox', 'a crashed relay', %d)`, time.Now().Add(time.Hour).UnixMilli()))
	c.Doing("start a server while a crashed relay's lease has an hour left")
	s := startServer(t, db, newRecorder(), fastRelay())
	id := c.OpenAccount(s.API, "savings", 0)
	waitUntil(c, "the relay on standby", func() bool { return relayStatus(s) == "standby" })
	c.Equal(0, len(s.pub.acknowledged()), "messages published while the other lease lives")
	expires := time.Now().Add(300 * time.Millisecond)
	c.Doing("the crashed relay's lease now runs out in 300 ms")
	execAll(c, db.Write, fmt.Sprintf(`UPDATE relay_lease SET expires_at = %d`, expires.UnixMilli()))
	s.pub.await(c, s.relay, "the message published once the lease ran out", func(got []bank.IntegrationMessage) bool { return len(got) == 1 && got[0].Subject == id })
	c.That(!time.Now().Before(expires), "published after the crashed relay's lease ran out, not before", time.Until(expires).String()+" early")
	var holder string
	c.NoError(db.Read.QueryRow(`SELECT holder FROM relay_lease WHERE name = 'outbox'`).Scan(&holder), "reading the lease")
	c.Equal(s.Get("/outbox").JSON()["relay"].(map[string]any)["this_relay"], holder, "the lease's holder (this server's relay)")
}

func TestGuard_ARelayRenewsItsLeaseAndYieldsOneTakenFromIt(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "A relay renews its lease and yields one taken from it")
	c.KeptBy("relay_lease.go and relay.go (Run, holdLease, pass)")
	cfg := fastRelay()
	cfg.LeaseTTL, cfg.PublishTimeout = 400*time.Millisecond, 100*time.Millisecond
	s := newServer(t, cfg)
	c.OpenAccount(s.API, "savings", 0)
	s.pub.await(c, s.relay, "the first message delivered", func(got []bank.IntegrationMessage) bool { return len(got) == 1 })
	var holder string
	var first int64
	c.NoError(s.db.Read.QueryRow(`SELECT holder, expires_at FROM relay_lease`).Scan(&holder, &first), "reading the lease")
	c.Doing("wait past the lease's first expiry: the relay must have renewed it")
	waitUntil(c, "the lease renewed by the same relay", func() bool {
		var h string
		var expires int64
		c.NoError(s.db.Read.QueryRow(`SELECT holder, expires_at FROM relay_lease`).Scan(&h, &expires), "reading the lease")
		return h == holder && expires > first && time.Now().UnixMilli() > first
	})
	c.Doing("another relay takes the lease (a long stall let it run out, say); then open an account")
	execAll(c, s.db.Write, fmt.Sprintf(`UPDATE relay_lease SET holder = 'usurper', expires_at = %d`, time.Now().Add(time.Hour).UnixMilli()))
	waitUntil(c, "the relay on standby once it finds the lease taken (at its next renewal, within half of LeaseTTL)", func() bool { return relayStatus(s) == "standby" })
	id := c.OpenAccount(s.API, "savings", 0)
	c.Doing("wait two lease times: nothing may be published without the lease")
	deadline := time.Now().Add(2 * cfg.LeaseTTL)
	for time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // a test that something does NOT happen waits out a bound
	}
	c.That(len(ofSubject(s.pub.acknowledged(), id)) == 0, "the new account's message not published (the usurper holds the lease)", describeMessages(s.pub.acknowledged()))
}

func TestGuard_AStandbyThatStopsLeavesTheLeaseToItsHolder(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "A standby that stops leaves the lease to its holder")
	c.KeptBy("relay_lease.go (release)")
	path := filepath.Join(t.TempDir(), "bank.db")
	first := startServer(t, openFile(c, t, path), newRecorder(), fastRelay())
	waitUntil(c, "the first server's relay running", func() bool { return relayStatus(first) == "running" })
	second := startServer(t, openFile(c, t, path), newRecorder(), fastRelay())
	waitUntil(c, "the second server's relay on standby", func() bool { return relayStatus(second) == "standby" })
	c.Doing("stop the second server (on standby)")
	second.stop()
	second.srv.Wait()
	c.Equal(1, count(c, first.db, "relay_lease"), "leases (the standby gave back nothing: it held none)")
	id := c.OpenAccount(first.API, "savings", 0)
	first.pub.await(c, first.relay, "the first server still delivering", func(got []bank.IntegrationMessage) bool { return len(ofSubject(got, id)) == 1 })
	c.That(!strings.Contains(first.Log(), "relay: pass failed"), "no failed pass in the first server's log", first.Log())
	state, err := first.relay.State()
	c.That(state == "running" && err == nil, "the first relay running, no error", fmt.Sprintf("%s %v", state, err))
}

// A relay can lose its lease in the middle of a long pass (a stall let it run
// out, and another relay took it): it finds out at its next renewal, and must
// stop there, not publish the rest of the pass beside the new holder.
func TestGuard_ARelayThatLosesItsLeaseInAPassPublishesNoMore(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "A relay that loses its lease in a pass publishes no more")
	c.KeptBy("relay.go (pass: a lease that is lost ends the pass)")
	cfg := fastRelay()
	cfg.LeaseTTL, cfg.PublishTimeout = 400*time.Millisecond, 100*time.Millisecond
	a := newRelayApp(c, t, cfg)
	const accounts = 12
	for i := range accounts {
		a.open(c, fmt.Sprintf("owner %d", i))
	}
	var stolen sync.Once
	a.pub.setRefuse(func(bank.IntegrationMessage, int) error {
		stolen.Do(func() {
			execAll(c, a.db.Write, fmt.Sprintf(`UPDATE relay_lease SET holder = 'usurper', expires_at = %d`, time.Now().Add(time.Hour).UnixMilli()))
		})
		time.Sleep(40 * time.Millisecond) // a slow consumer: the pass outlives half of the lease, when the relay renews it
		return nil
	})
	c.Doing("%d messages in the outbox, each taking 40 ms to publish; another relay takes the lease during the first one", accounts)
	a.runRelay(t)
	waitUntil(c, "the relay on standby once it finds the lease taken (at its next renewal, within half of LeaseTTL)", func() bool {
		stopIfTodo(c, a.Relay)
		state, _ := a.Relay.State()
		return state == "standby"
	})
	got := a.pub.acknowledged()
	c.That(len(got) < accounts, fmt.Sprintf("fewer than %d published: at its renewal (after about %s) the relay finds the lease gone and stops the pass", accounts, cfg.LeaseTTL/2),
		fmt.Sprintf("all %d published: the relay went on without its lease\n%s", len(got), describeMessages(got)))
}

// A relay that stopped gave its lease back: started again (in the same process),
// it must ask for the lease anew, not trust what it held before the stop.
func TestGuard_ARelayStartedAgainAsksForTheLeaseAnew(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "A relay started again asks for the lease anew")
	c.KeptBy("relay_lease.go (release)")
	a := newRelayApp(c, t, fastRelay())
	ctx, stop := context.WithCancel(c.Ctx())
	done := make(chan struct{})
	go func() { a.Relay.Run(ctx); close(done) }()
	waitUntil(c, "the relay running", func() bool { state, _ := a.Relay.State(); return state == "running" })
	c.Doing("stop the relay, let another relay take the lease, open an account, then run the first relay again")
	stop()
	<-done
	execAll(c, a.db.Write, fmt.Sprintf(`INSERT OR REPLACE INTO relay_lease (name, holder, expires_at) VALUES ('outbox', 'ghost', %d)`, time.Now().Add(time.Hour).UnixMilli()))
	id := a.open(c, "Ada Lovelace")
	a.runRelay(t)
	waitUntil(c, "the relay on standby (the ghost holds the lease)", func() bool {
		stopIfTodo(c, a.Relay)
		state, _ := a.Relay.State()
		return state == "standby"
	})
	got := a.pub.acknowledged()
	c.That(len(ofSubject(got, id.String())) == 0, "the new account's message not published: the lease given back at the stop is not this relay's any more", describeMessages(got))
}
