package main

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

// make demo-relay-crash: stage 5's relay is killed (SIGKILL) while it waits for
// the webhook to acknowledge a message, with most of the outbox still pending,
// and started again on the same database. Nothing is lost: every message in
// the outbox arrives at the sink at least once. The one in flight at the crash
// arrives twice, because the relay marks a message published only after its
// acknowledgement: at least once, and the message id to drop the copy by.

const (
	crashAccounts = 4
	crashDeposits = 15 // per account
	crashHeldAt   = 10 // the sink holds the 10th message unanswered: the relay is mid-delivery when it dies
	// crashKillBy bounds the wait for the deposits once the sink holds a
	// message: the relay gives up on an unanswered publish after 5 s
	// (stage 5's PublishTimeout), and the demo wants it still waiting.
	crashKillBy = 3 * time.Second
)

// outboxStatus is what GET /outbox says, in the fields the demo shows.
type outboxStatus struct {
	Relay struct {
		Status string `json:"status"`
		Lease  struct {
			Holder    string    `json:"holder"`
			ExpiresAt time.Time `json:"expires_at"`
		} `json:"lease"`
		ThisRelay string `json:"this_relay"`
	} `json:"relay"`
	Pending int `json:"pending"`
	Parked  int `json:"parked"`
}

// outboxTable is a row per look at GET /outbox.
func outboxTable() *table {
	return newTable("when", "server", "relay", "pending", "parked", "lease holder", "lease runs out")
}

func (o outboxStatus) addTo(t *table, when, server string) {
	holder := short(o.Relay.Lease.Holder)
	if o.Relay.Lease.Holder == o.Relay.ThisRelay {
		holder += " (this server)"
	}
	expires := ""
	if !o.Relay.Lease.ExpiresAt.IsZero() {
		expires = o.Relay.Lease.ExpiresAt.Local().Format("15:04:05")
	}
	t.add(when, server, o.Relay.Status, o.Pending, o.Parked, holder, expires)
}

func demoRelayCrash(d *demo) (string, error) {
	sink := newHoldingSink(crashHeldAt)
	ln, err := serveHandler(sink)
	if err != nil {
		return "", err
	}
	defer ln.Close()
	defer func() {
		select {
		case <-sink.release:
		default:
			close(sink.release)
		}
	}()
	webhook := "http://" + ln.Addr().String() + "/messages"
	db := d.freshDB()
	first, err := d.server("", db, "-webhook", webhook)
	if err != nil {
		return "", err
	}
	d.step(fmt.Sprintf("Stage 5's relay POSTs every integration message to a webhook sink in this process (%s).", webhook),
		fmt.Sprintf("%d accounts, %d deposits each, as fast as the API takes them. The sink takes message %d and does not answer yet.", crashAccounts, crashDeposits, crashHeldAt))
	accepted, err := crashLoad(d, first, sink)
	if err != nil {
		return "", err
	}
	var before outboxStatus
	if _, err := first.get("/outbox", &before); err != nil {
		return "", err
	}
	looks := outboxTable()
	before.addTo(looks, "before the kill", "first")

	d.step("kill -9 the server while its relay waits for the sink's answer.",
		"No clean stop: the lease is not given back, and the message in flight is sent but not marked published.")
	first.kill()
	close(sink.release) // the sink got the message; its answer now goes nowhere
	d.note("%d deposits accepted; the outbox held %d messages still to deliver at the kill.", accepted, before.Pending)

	d.step("Start the server again on the same database file.",
		"The new relay waits on standby until the dead one's lease runs out (at most 20 s), then delivers what is pending.")
	second, err := d.start(first.cmd.Path, db, "-webhook", webhook)
	if err != nil {
		return "", err
	}
	if err := crashAwaitDelivery(d, second, looks); err != nil {
		return "", err
	}
	d.table(looks)
	return crashVerdict(d, db, sink, accepted, before.Pending)
}

// crashLoad opens the accounts and sends their deposits, a worker per account,
// and returns once they are done (or crashKillBy after the sink took the held
// message) with how many deposits were accepted.
func crashLoad(d *demo, srv *demoServer, sink *holdingSink) (int, error) {
	var mu sync.Mutex
	accepted := 0
	var failure error
	var wg sync.WaitGroup
	for i := range crashAccounts {
		wg.Go(func() {
			var acc struct {
				ID string `json:"id"`
			}
			open := map[string]any{"owner": fmt.Sprintf("Customer %d", i+1), "kind": "savings", "currency": "EUR", "overdraft_limit": 0}
			if _, err := srv.want(http.StatusCreated, http.MethodPost, "/accounts", open, &acc); err != nil {
				mu.Lock()
				failure = err
				mu.Unlock()
				return
			}
			for k := range crashDeposits {
				body := map[string]any{"amount": 100, "reference": fmt.Sprintf("deposit %d", k+1)}
				if status, _, err := srv.call(http.MethodPost, "/accounts/"+acc.ID+"/deposits", body); err == nil && status == http.StatusOK {
					mu.Lock()
					accepted++
					mu.Unlock()
				}
			}
		})
	}
	loaded := make(chan struct{})
	go func() { wg.Wait(); close(loaded) }()
	select {
	case <-sink.held:
	case <-time.After(30 * time.Second):
		return 0, notShown("the sink did not receive message %d within 30 s", crashHeldAt)
	}
	select {
	case <-loaded:
	case <-time.After(crashKillBy):
		d.note("(the deposits were still arriving after %s: the kill comes now, in the middle of them)", crashKillBy)
	}
	mu.Lock()
	defer mu.Unlock()
	return accepted, failure
}

// crashAwaitDelivery looks at GET /outbox until nothing is pending (at most a
// minute), adding a row to looks whenever the relay's status changes.
func crashAwaitDelivery(d *demo, srv *demoServer, looks *table) error {
	started := time.Now()
	last := ""
	for {
		var o outboxStatus
		if _, err := srv.get("/outbox", &o); err != nil {
			return err
		}
		if o.Relay.Status != last || o.Pending == 0 {
			o.addTo(looks, fmt.Sprintf("restart + %.1f s", time.Since(started).Seconds()), "second")
			last = o.Relay.Status
		}
		if o.Pending == 0 && o.Relay.Status == "running" {
			return nil
		}
		if time.Since(started) > time.Minute {
			d.table(looks)
			return notShown("after a minute %d messages are still pending", o.Pending)
		}
		time.Sleep(250 * time.Millisecond) // polling the relay's status, bounded above
	}
}

// crashVerdict checks every message of the outbox against what the sink took:
// each at least once, and the events of every accepted deposit announced.
func crashVerdict(d *demo, db string, sink *holdingSink, accepted, pendingAtKill int) (string, error) {
	store, err := sqlitedb.Open(db)
	if err != nil {
		return "", err
	}
	defer store.Close()
	var deposits int
	if err := store.Read.QueryRow(`SELECT COUNT(*) FROM events WHERE event_type = 'MoneyDeposited'`).Scan(&deposits); err != nil {
		return "", err
	}
	rows, err := store.Read.Query(`SELECT message_id, type, status FROM outbox ORDER BY id`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	total, deliveries, copies := 0, 0, newTable("message", "type", "deliveries")
	var missing []string
	for rows.Next() {
		var id, typ, status string
		if err := rows.Scan(&id, &typ, &status); err != nil {
			return "", err
		}
		total++
		n := sink.deliveries(id)
		deliveries += n
		switch {
		case n == 0 || status != "published":
			missing = append(missing, fmt.Sprintf("%s (%s, %s, %d deliveries)", short(id), typ, status, n))
		case n > 1:
			copies.add(short(id), typ, n)
		}
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	d.step("Count: every message of the outbox against what the sink took.",
		"Nothing lost. A copy is possible, and the message id lets the consumer drop it (stage 6).")
	t := newTable("deposits accepted", "deposits stored", "messages in the outbox", "arrived at least once", "deliveries")
	t.add(accepted, deposits, total, total-len(missing), deliveries)
	d.table(t)
	if len(copies.rows) > 0 {
		d.note("arrived more than once:")
		d.table(copies)
	}
	switch {
	case deposits < accepted:
		return "", notShown("%d deposits accepted, only %d stored", accepted, deposits)
	case len(missing) > 0:
		return "", notShown("%d messages never arrived or are not published: %v", len(missing), missing)
	case pendingAtKill == 0:
		return "", notShown("nothing was pending when the relay was killed")
	case sink.deliveries(sink.heldID) < 2:
		return "", notShown("the message in flight at the kill (%s) arrived %d time(s), not again after the restart", short(sink.heldID), sink.deliveries(sink.heldID))
	}
	return fmt.Sprintf("relay killed with %d messages pending and one in flight; after the restart all %d messages of the outbox arrived "+
		"at least once (%d deliveries: %s, among them the one in flight at the kill), every one of the %d accepted deposits announced: nothing lost",
		pendingAtKill, total, deliveries, howMany(deliveries-total, "copy", "copies"), accepted), nil
}
