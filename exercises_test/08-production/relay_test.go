package production_test

import (
	"context"
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

func TestGuard_TheRelayDeliversEveryMessageInTheOrderItWasWritten(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "the relay delivers every message in the order it was written")
	s := newServer(t, fastRelay())
	ada := c.OpenAccount(s.API, "checking", 10000)
	bob := c.OpenAccount(s.API, "savings", 0)
	c.Doing("deposit and withdraw on Ada's and Bob's accounts, in turn")
	for i := range 4 {
		c.Status(s.Post("/accounts/"+ada+"/deposits", map[string]any{"amount": 100 + i}), http.StatusOK)
		c.Status(s.Post("/accounts/"+bob+"/deposits", map[string]any{"amount": 200 + i}), http.StatusOK)
		c.Status(s.Post("/accounts/"+ada+"/withdrawals", map[string]any{"amount": 10 + i}), http.StatusOK)
	}
	rows := outboxRows(c, s.db)
	s.pub.await(c, s.relay, fmt.Sprintf("all %d messages acknowledged", len(rows)), func(got []bank.IntegrationMessage) bool { return len(got) >= len(rows) })
	got := s.pub.acknowledged()
	var gotIDs, wantIDs []string
	for i := range rows {
		wantIDs = append(wantIDs, rows[i].MessageID)
		gotIDs = append(gotIDs, got[i].ID)
	}
	c.That(slices.Equal(gotIDs, wantIDs) && len(got) == len(rows), "each message once, in the outbox's order:\n"+describeRows(rows), describeMessages(got))
	rows = waitRows(c, s, "every message marked published", func(rows []row) bool {
		return !slices.ContainsFunc(rows, func(r row) bool { return r.Status != "published" })
	})
	for _, r := range rows {
		c.Equal(1, r.Attempts, "attempts of "+r.String()+" (one publish, acknowledged)")
	}
	state, err := s.relay.State()
	c.That(state == "running" && err == nil && !strings.Contains(s.Log(), "relay: pass failed"),
		"the relay running, and no failed pass in the server's log", fmt.Sprintf("%s %v\n%s", state, err, s.Log()))
}

// A backlog (messages written while no relay ran) is where a wrong pass shows: a relay
// that holds an account back after every message it delivered, not only after one it
// could not, still delivers everything, but an account's second message then waits for
// the next pass while other accounts' go first.
func TestGuard_ABacklogGoesOutInTheOutboxsOrder(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go (pass)", "a backlog goes out in the outbox's order, an account's messages one after the other")
	a := newRelayApp(c, t, fastRelay())
	c.Doing("open Ada's account and deposit twice into it, then Bob's, with no relay running; then run the relay")
	ada := a.open(c, "Ada")
	a.deposit(c, ada, 5)
	a.deposit(c, ada, 6)
	bob := a.open(c, "Bob")
	a.deposit(c, bob, 7)
	rows := outboxRows(c, a.db)
	a.runRelay(t)
	a.pub.await(c, a.Relay, fmt.Sprintf("all %d messages acknowledged", len(rows)), func(got []bank.IntegrationMessage) bool { return len(got) >= len(rows) })
	got := a.pub.acknowledged()
	var gotIDs, wantIDs []string
	for i := range rows {
		wantIDs = append(wantIDs, rows[i].MessageID)
	}
	for _, m := range got {
		gotIDs = append(gotIDs, m.ID)
	}
	c.That(slices.Equal(gotIDs, wantIDs), "each message once, in the outbox's order (a delivered message holds nothing back):\n"+describeRows(rows), describeMessages(got))
}

func TestGuard_AMessageIsMarkedPublishedOnlyOnceThePublisherAcknowledgedIt(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "A message is marked published only once the publisher acknowledged it")
	pub := newRecorder()
	pub.hold = make(chan struct{})
	s := startServer(t, spec.OpenDB(t), pub, fastRelay())
	c.Doing("open an account while the publisher has not answered yet")
	c.OpenAccount(s.API, "savings", 0)
	for deadline := time.After(spec.Patience); ; {
		var m bank.IntegrationMessage
		select {
		case m = <-pub.entered:
		case <-time.After(20 * time.Millisecond):
			stopIfTodo(c, s.relay)
			continue
		case <-deadline:
			state, err := s.relay.State()
			c.NoError(err, "the relay (its state is "+state+")")
			c.Fail("the relay publishing the AccountOpened message within "+spec.Patience.String(), "no publish")
		}
		c.Equal(bank.AccountOpenedV1Type, m.Type, "the message being published")
		break
	}
	rows := outboxRows(c, s.db)
	c.That(len(rows) == 1 && rows[0].Status == "pending", "the message still pending while the publisher has not acknowledged it (a crash now must not lose it)", describeRows(rows))
	c.Doing("the publisher acknowledges")
	close(pub.hold)
	waitRows(c, s, "the message marked published", func(rows []row) bool { return len(rows) == 1 && rows[0].Status == "published" })
}

// holdBack sets the first outbox row of subject to status, due at next, behind the API's back.
func holdBack(c *spec.Check, a *relayApp, subject, status string, next time.Time) {
	res, err := a.db.Write.Exec(`UPDATE outbox SET status = ?, next_attempt_at = ? WHERE id = (SELECT MIN(id) FROM outbox WHERE subject = ?)`,
		status, next.UTC().Format(time.RFC3339Nano), subject)
	c.NoError(err, "holding a message back (test setup)")
	n, _ := res.RowsAffected()
	c.Equal(int64(1), n, "rows held back (test setup)")
}

func TestGuard_AMessageThatCannotGoYetHoldsBackItsAccountOnly(t *testing.T) {
	for _, held := range []struct {
		name, status string
		next         time.Duration
	}{
		{"parked", "parked", 0},
		{"due in an hour (waiting for its next try)", "pending", time.Hour},
	} {
		c := spec.Guard(t, stage, "relay.go (ready)", "a message that cannot go yet holds back its account only")
		a := newRelayApp(c, t, fastRelay())
		ada, bob := a.open(c, "Ada"), a.open(c, "Bob")
		a.deposit(c, ada, 5)
		a.deposit(c, bob, 7)
		a.deposit(c, ada, 6)
		a.deposit(c, bob, 8)
		holdBack(c, a, ada.String(), held.status, time.Now().Add(held.next))
		c.Doing("run the relay with Ada's first message %s", held.name)
		a.runRelay(t)
		a.pub.await(c, a.Relay, "Bob's three messages acknowledged", func(got []bank.IntegrationMessage) bool {
			return len(ofSubject(got, bob.String())) >= 3
		})
		got := a.pub.acknowledged()
		c.That(len(ofSubject(got, ada.String())) == 0,
			"none of Ada's messages: her first one cannot go yet, and her later ones wait behind it (an account's messages arrive in order), while Bob's went on",
			describeMessages(got))
		c.Equal([]string{bank.AccountOpenedV1Type, bank.MoneyDepositedV1Type, bank.MoneyDepositedV1Type}, typesOf(ofSubject(got, bob.String())), "Bob's messages, in order")
	}
}

func TestGuard_TheBankNeverAnnouncesWhatDidNotHappen(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "the bank never announces what did not happen")
	s := newServer(t, fastRelay())
	ada := c.OpenAccount(s.API, "savings", 0)
	execAll(c, s.db.Write, `CREATE TRIGGER events_full BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full'); END`)
	c.Doing("deposit 500 while the events table refuses every insert: the deposit never happened")
	c.Status(s.Post("/accounts/"+ada+"/deposits", map[string]any{"amount": 500}), http.StatusInternalServerError)
	c.Doing("withdraw 1 from the empty account: refused, it never happened either")
	execAll(c, s.db.Write, `DROP TRIGGER events_full`)
	c.Status(s.Post("/accounts/"+ada+"/withdrawals", map[string]any{"amount": 1}), http.StatusUnprocessableEntity)
	c.Doing("deposit 7: this one happens")
	c.Status(s.Post("/accounts/"+ada+"/deposits", map[string]any{"amount": 7}), http.StatusOK)
	s.pub.await(c, s.relay, "the deposit of 7 acknowledged", func(got []bank.IntegrationMessage) bool {
		return has(got, bank.MoneyDepositedV1Type, moneyData(ada, 7, "EUR"))
	})
	got := s.pub.acknowledged()
	c.Equal([]string{bank.AccountOpenedV1Type, bank.MoneyDepositedV1Type}, typesOf(got),
		"what other services heard: the opening and the deposit of 7 (publishing before the events are stored announces what never happened)")
}

func TestGuard_AMessageChangedUnderTheRelayStopsItsPass(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "A message changed under the relay stops its pass")
	pub := newRecorder()
	pub.hold = make(chan struct{})
	s := startServer(t, spec.OpenDB(t), pub, fastRelay())
	c.Doing("open an account; while its message is being published, mark it published by hand (another relay, say)")
	c.OpenAccount(s.API, "savings", 0)
	select {
	case <-pub.entered:
	case <-time.After(spec.Patience):
		stopIfTodo(c, s.relay)
		c.Fail("the relay publishing within "+spec.Patience.String(), "no publish")
	}
	execAll(c, s.db.Write, `UPDATE outbox SET status = 'published'`)
	close(pub.hold)
	waitUntil(c, "the relay reporting that the message it published was no longer pending (never marked twice without a word)", func() bool {
		return strings.Contains(s.Log(), "relay: pass failed") && strings.Contains(s.Log(), "no longer pending")
	})
}

func TestGuard_AMessageRefusedWhileItWasChangedUnderTheRelayIsNotParked(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "A message refused while it was changed under the relay is not parked")
	for _, maxAttempts := range []int{1, 5} { // parked at once, or scheduled for a retry
		cfg := fastRelay()
		cfg.MaxAttempts = maxAttempts
		pub := newRecorder()
		pub.hold = make(chan struct{})
		pub.setRefuse(func(bank.IntegrationMessage, int) error { return errors.New("consumer answered 400") })
		s := startServer(t, spec.OpenDB(t), pub, cfg)
		c.Doing("MaxAttempts %d: open an account; while its message is being published (and then refused), mark it published by hand", maxAttempts)
		c.OpenAccount(s.API, "savings", 0)
		select {
		case <-pub.entered:
		case <-time.After(spec.Patience):
			stopIfTodo(c, s.relay)
			c.Fail("the relay publishing within "+spec.Patience.String(), "no publish")
		}
		execAll(c, s.db.Write, `UPDATE outbox SET status = 'published'`)
		close(pub.hold)
		waitUntil(c, "the relay reporting that the refused message was no longer pending (the error of park or retryAt, returned)", func() bool {
			stopIfTodo(c, s.relay)
			return strings.Contains(s.Log(), "relay: pass failed") && strings.Contains(s.Log(), "no longer pending")
		})
		c.Equal(0, count(c, s.db, "dead_letters"), "dead letters (no dead letter for a message that is not pending)")
	}
}

func TestGuard_TheRelayRetriesOnTimeAndReadsOnWithoutWaitingForAPoll(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "the relay retries on time and reads on without waiting for a poll")
	cfg := fastRelay()
	cfg.PollInterval = time.Hour // nothing but its own schedule wakes the relay
	// Ada's retry falls due 0.5-1 s after her refusal: long after the relay has
	// delivered Bob's messages and gone to sleep, so only the due time wakes it.
	cfg.FirstRetry, cfg.MaxRetry = time.Second, time.Second
	a := newRelayApp(c, t, cfg)
	ada, bob := a.open(c, "Ada"), a.open(c, "Bob")
	a.deposit(c, ada, 5)
	a.deposit(c, bob, 7)
	a.pub.setRefuse(func(m bank.IntegrationMessage, call int) error {
		if m.Subject == ada.String() && m.Type == bank.AccountOpenedV1Type && call == 1 {
			return errors.New("consumer answered 503, once")
		}
		return nil
	})
	c.Doing("run the relay (polling once an hour) on 4 messages, Ada's first refused once")
	a.runRelay(t)
	a.pub.await(c, a.Relay, "all 4 messages delivered: Bob's at once, Ada's when her retry falls due (within a second, not at the next poll an hour later)",
		func(got []bank.IntegrationMessage) bool { return len(got) == 4 })
}

func TestGuard_ARelayThatCannotUseItsTablesSaysSoAndRecovers(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "A relay that cannot use its tables says so and recovers")
	cfg := fastRelay()
	cfg.LeaseTTL, cfg.PublishTimeout = 400*time.Millisecond, 100*time.Millisecond
	s := newServer(t, cfg)
	c.OpenAccount(s.API, "savings", 0)
	s.pub.await(c, s.relay, "the first message delivered", func(got []bank.IntegrationMessage) bool { return len(got) == 1 })
	for _, table := range []string{"outbox", "relay_lease"} {
		c.Doing("take the table %s away while the relay runs", table)
		execAll(c, s.db.Write, `ALTER TABLE `+table+` RENAME TO gone`)
		waitUntil(c, "the relay failing, and saying why", func() bool {
			state, err := s.relay.State()
			return state == "failing" && err != nil && strings.Contains(err.Error(), "gone") == false && err.Error() != ""
		})
		execAll(c, s.db.Write, `ALTER TABLE gone RENAME TO `+table)
		waitUntil(c, "the relay running again", func() bool { state, err := s.relay.State(); return state == "running" && err == nil })
	}
	c.Doing("the outbox refusing every update (a trigger), then open an account: its message is published, and cannot be marked")
	execAll(c, s.db.Write, `CREATE TRIGGER stuck BEFORE UPDATE ON outbox BEGIN SELECT RAISE(ABORT, 'the outbox is stuck'); END`)
	id := c.OpenAccount(s.API, "savings", 0)
	waitUntil(c, "the relay failing, and saying why (the mark refused)", func() bool {
		state, err := s.relay.State()
		return state == "failing" && err != nil && strings.Contains(err.Error(), "the outbox is stuck")
	})
	execAll(c, s.db.Write, `DROP TRIGGER stuck`)
	waitUntil(c, "the relay running again", func() bool { state, err := s.relay.State(); return state == "running" && err == nil })
	rows := waitRows(c, s, "the new account's message published", func(rows []row) bool { return len(rows) == 2 && rows[1].Status == "published" })
	c.That(len(ofSubject(s.pub.acknowledged(), id)) >= 1, "the new account's message delivered (at least once: a mark that failed sends it again)", describeRows(rows))
}

// A consumer that never answers must not hold the relay: each publish is bounded
// by PublishTimeout (r.publish, not the publisher itself), and ends at once when
// the relay stops (the relay's context, not one of its own).
func TestGuard_APublishIsBoundedAndEndsWithTheRelay(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "A publish is bounded and ends with the relay")
	cfg := fastRelay()
	cfg.PublishTimeout, cfg.LeaseTTL, cfg.MaxAttempts = 100*time.Millisecond, 20*time.Second, 100
	a := newRelayApp(c, t, cfg)
	a.pub.hold = make(chan struct{}) // never closed: every publish hangs until its context ends
	id := a.open(c, "Ada Lovelace")
	ctx, stop := context.WithCancel(c.Ctx())
	done := make(chan struct{})
	go func() { a.Relay.Run(ctx); close(done) }()
	c.Doing("run the relay against a consumer that never answers (PublishTimeout %s)", cfg.PublishTimeout)
	var m bank.IntegrationMessage
	for range 2 {
		select {
		case m = <-a.pub.entered:
		case <-time.After(spec.Patience):
			stopIfTodo(c, a.Relay)
			stop()
			c.Fail("a second publish of the message within "+spec.Patience.String()+": the first given up after PublishTimeout",
				fmt.Sprintf("%d publish call(s): the first still waits (publish with r.publish, which bounds it)", a.pub.callsOf(m.ID)))
		}
	}
	c.Equal(id.String(), m.Subject, "the message published (Ada's AccountOpened)")
	c.Doing("PublishTimeout 5 s now; stop the relay while a publish hangs")
	cfg.PublishTimeout = 5 * time.Second
	stop()
	<-done
	b := newRelayAppOn(c, t, a.db, cfg)
	b.pub.hold = make(chan struct{})
	ctx, stop = context.WithCancel(c.Ctx())
	done = make(chan struct{})
	go func() { b.Relay.Run(ctx); close(done) }()
	select {
	case <-b.pub.entered:
	case <-time.After(spec.Patience):
		stop()
		c.Fail("the relay publishing within "+spec.Patience.String(), "no publish")
	}
	stopped := time.Now()
	stop()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		c.Fail("the relay stopped within 3 s (the publish ends with the relay's context)", "still publishing: the publish does not use the relay's context, so it waits out PublishTimeout (5 s)")
	}
	c.That(time.Since(stopped) < 3*time.Second, "the relay stopped within 3 s", time.Since(stopped).String())
}

// published_at is when the publisher acknowledged the message, not when it
// occurred: the gap between the two is how late other services heard of it.
func TestGuard_PublishedAtIsWhenThePublisherAcknowledged(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "published at is when the publisher acknowledged")
	db := spec.OpenDB(t)
	ghostLease(c, db)
	s := startServer(t, db, newRecorder(), fastRelay())
	c.Doing("open an account while another relay holds the lease; let that lease run out 300 ms later")
	c.OpenAccount(s.API, "savings", 0)
	committed := time.Now()
	execAll(c, db.Write, fmt.Sprintf(`UPDATE relay_lease SET expires_at = %d`, committed.Add(300*time.Millisecond).UnixMilli()))
	waitRows(c, s, "the message published", func(rows []row) bool { return len(rows) == 1 && rows[0].Status == "published" })
	var published string
	c.NoError(db.Read.QueryRow(`SELECT published_at FROM outbox`).Scan(&published), "reading published_at")
	at, err := time.Parse(time.RFC3339Nano, published)
	c.That(err == nil && !at.Before(committed.Add(250*time.Millisecond)) && strings.HasSuffix(published, "Z"),
		"published_at at least 300 ms after the commit (when the publisher acknowledged it, in UTC), not the event's time", published)
}

// A consumer can take a message just as the server stops: its acknowledgement
// still counts, and the message is marked published (within markTimeout), not
// sent again after the restart.
func TestGuard_AnAcknowledgementThatComesAsTheRelayStopsIsKept(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "an acknowledgement that comes as the relay stops is kept")
	db := spec.OpenDB(t)
	log, _ := spec.NewServerLog()
	store, err := bank.NewEventStore(c.Ctx(), db, bank.NewRegistry())
	c.NoError(err, "NewEventStore")
	entered := make(chan struct{}, 10)
	slow := bank.PublisherFunc(func(ctx context.Context, _ bank.IntegrationMessage) error {
		entered <- struct{}{}
		<-ctx.Done() // the consumer answers 200 just as the relay stops
		return nil
	})
	a, err := bank.NewApplication(c.Ctx(), db, store, log, bank.Options{Publisher: slow, Relay: fastRelay()})
	c.NoError(err, "NewApplication")
	_, err = a.Commands.OpenAccount(c.Ctx(), bank.Message[bank.OpenAccount]{ID: uuid.NewString(),
		Command: bank.OpenAccount{Owner: "Ada Lovelace", Kind: bank.Savings, Currency: "EUR"}})
	c.NoError(err, "opening an account (test setup)")
	ctx, stop := context.WithCancel(c.Ctx())
	done := make(chan struct{})
	go func() { a.Relay.Run(ctx); close(done) }()
	c.Doing("stop the relay while its publisher is acknowledging the message")
	select {
	case <-entered:
	case <-time.After(spec.Patience):
		stop()
		c.Fail("the relay publishing within "+spec.Patience.String(), "no publish")
	}
	stop()
	<-done
	var status string
	c.NoError(db.Read.QueryRow(`SELECT status FROM outbox`).Scan(&status), "reading the message")
	c.Equal("published", status, "the message's status (acknowledged: marked even though the relay was stopping)")
}

// A relay with nothing due sleeps until its next poll: it must not count a parked
// message, or one held back behind it, as due (their times have passed), or it
// wakes at once, again and again, and spins while a dead letter waits. The lease,
// renewed at every wake once half of its 20 ms have gone, counts the wakes.
func TestGuard_ARelayWithNothingDueSleepsUntilItsNextPoll(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go (pass: the next due time)", "a relay with nothing due sleeps until its next poll, it does not spin")
	cfg := fastRelay()
	cfg.PollInterval = time.Hour
	cfg.LeaseTTL, cfg.PublishTimeout = 20*time.Millisecond, 5*time.Millisecond
	a := newRelayApp(c, t, cfg)
	ada := a.open(c, "Ada")
	a.deposit(c, ada, 5)
	holdBack(c, a, ada.String(), "parked", time.Now().Add(-time.Minute))
	execAll(c, a.db.Write, `CREATE TABLE lease_writes (n INTEGER NOT NULL)`, `INSERT INTO lease_writes VALUES (0)`,
		`CREATE TRIGGER lease_inserted AFTER INSERT ON relay_lease BEGIN UPDATE lease_writes SET n = n + 1; END`,
		`CREATE TRIGGER lease_updated AFTER UPDATE ON relay_lease BEGIN UPDATE lease_writes SET n = n + 1; END`)
	writes := func() int {
		var n int
		c.NoError(a.db.Read.QueryRow(`SELECT n FROM lease_writes`).Scan(&n), "counting the lease's writes (test setup)")
		return n
	}
	c.Doing("run the relay (polling once an hour) with Ada's opening parked and her deposit waiting behind it, then watch it for 300 ms")
	a.runRelay(t)
	for deadline := time.Now().Add(spec.Patience); writes() == 0; time.Sleep(time.Millisecond) { // polling a condition, bounded
		if time.Now().After(deadline) {
			stopIfTodo(c, a.Relay)
			c.Fail("the relay taking its lease", "no lease written within "+spec.Patience.String())
		}
	}
	time.Sleep(20 * time.Millisecond) // its first pass done: nothing is due, so it sleeps
	before := writes()
	time.Sleep(300 * time.Millisecond)
	after := writes()
	c.That(after == before, "no wake in 300 ms: nothing is due, the next poll is an hour away",
		fmt.Sprintf("the relay woke and renewed its lease %d times in 300 ms: it counts a parked or held-back message as due", after-before))
	c.Equal(0, len(a.pub.acknowledged()), "messages published (Ada's wait behind her parked opening)")
}
