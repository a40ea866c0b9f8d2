package production_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

func TestGuard_UnknownAccountsAre404(t *testing.T) {
	c := spec.Guard(t, stage, "http_api.go and http_events.go", "an unknown account is a 404")
	api, _ := newAPI(t)
	for _, path := range []string{"/accounts/" + adaID, "/accounts/" + adaID + "/events"} {
		c.Doing("GET %s", path)
		c.Status(api.Get(path), http.StatusNotFound)
	}
}

func TestGuard_IndexStageAndHealth(t *testing.T) {
	api, _ := newAPI(t)
	spec.Guard(t, stage, "stage.go and internal/web (index page)", "GET /, /stage and /healthz describe the stage").
		CheckStagePages(api, 8, "snapshots", "state_version", "/metrics", "outcome", "correlation id", "/schemas")
}

func TestGuard_AServerDoesNotStartOnOutboxTablesItCannotUse(t *testing.T) {
	c := spec.Guard(t, stage, "eventstore.go (NewEventStore) and relay.go (NewRelay)", "a server does not start on tables it cannot use, or with a relay that cannot keep its promises")
	for _, name := range []string{"outbox", "dead_letters", "relay_lease", "snapshots"} {
		c.Doing("NewServer on a database with an index named %s", name)
		db := spec.OpenDB(t)
		execAll(c, db.Write, `CREATE TABLE t (a)`, `CREATE INDEX `+name+` ON t (a)`)
		log, _ := spec.NewServerLog()
		ctx, cancel := context.WithCancel(c.Ctx())
		_, err := bank.NewServer(ctx, db, log)
		cancel()
		c.That(err != nil, "an error: the server cannot use its tables", "no error")
	}
	for _, bad := range []struct {
		name string
		edit func(*bank.RelayConfig)
	}{
		{"MaxAttempts 0", func(r *bank.RelayConfig) { r.MaxAttempts = 0 }},
		{"a negative first retry", func(r *bank.RelayConfig) { r.FirstRetry = -time.Second }},
		{"a first retry of 0", func(r *bank.RelayConfig) { r.FirstRetry = 0 }},
		{"MaxRetry below FirstRetry", func(r *bank.RelayConfig) { r.MaxRetry = r.FirstRetry / 2 }},
		{"a poll interval of 0", func(r *bank.RelayConfig) { r.PollInterval = 0 }},
		{"a publish timeout of 0", func(r *bank.RelayConfig) { r.PublishTimeout = 0 }},
		{"a publish timeout longer than a quarter of the lease", func(r *bank.RelayConfig) { r.PublishTimeout = r.LeaseTTL/4 + time.Millisecond }},
	} {
		c.Doing("Start with a relay configured with %s", bad.name)
		cfg := fastRelay()
		bad.edit(&cfg)
		log, _ := spec.NewServerLog()
		ctx, cancel := context.WithCancel(c.Ctx())
		_, err := bank.Start(ctx, spec.OpenDB(t), log, bank.Options{Publisher: newRecorder(), Relay: cfg})
		cancel()
		c.That(err != nil, "an error naming what is wrong", "no error")
	}
	c.Doing("Start with a publish timeout of exactly a quarter of the lease, and one attempt")
	cfg := fastRelay()
	cfg.PublishTimeout, cfg.MaxAttempts, cfg.MaxRetry = cfg.LeaseTTL/4, 1, cfg.FirstRetry
	log, _ := spec.NewServerLog()
	ctx, cancel := context.WithCancel(c.Ctx())
	defer cancel()
	_, err := bank.Start(ctx, spec.OpenDB(t), log, bank.Options{Publisher: newRecorder(), Relay: cfg})
	c.NoError(err, "Start")
}

func TestGuard_TheDefaultRelayIsDocumented(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go (DefaultRelayConfig)", "cmd/server's relay: 8 attempts, retries from 0.5 s up to a minute, 5 s per publish, a 20 s lease, a poll every second")
	c.Equal(bank.RelayConfig{MaxAttempts: 8, FirstRetry: 500 * time.Millisecond, MaxRetry: time.Minute, PublishTimeout: 5 * time.Second,
		LeaseTTL: 20 * time.Second, PollInterval: time.Second}, bank.DefaultRelayConfig(), "DefaultRelayConfig()")
}

func TestGuard_RetryDelaysDoubleUpToTheirCapWithJitter(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go (RetryDelay)", "the pause after the n-th refusal is half to all of a ceiling that doubles from FirstRetry up to MaxRetry")
	first, maxRetry := 100*time.Millisecond, 3*time.Second
	for attempt, ceiling := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond,
		5: 1600 * time.Millisecond, 6: 3 * time.Second, 7: 3 * time.Second, 100: 3 * time.Second, 1 << 30: 3 * time.Second} {
		lowest, highest := ceiling, time.Duration(0)
		for range 400 {
			d := bank.RetryDelay(attempt, first, maxRetry)
			lowest, highest = min(lowest, d), max(highest, d)
		}
		c.Doing("RetryDelay(%d, 100ms, 3s), 400 times", attempt)
		c.That(lowest >= ceiling/2 && highest <= ceiling, fmt.Sprintf("every pause from %s to %s", ceiling/2, ceiling), fmt.Sprintf("from %s to %s", lowest, highest))
		c.That(highest-lowest > ceiling/4, "pauses spread over the range (jitter), not one value", fmt.Sprintf("from %s to %s", lowest, highest))
	}
	c.Doing("RetryDelay with a ceiling of 1ns")
	c.That(bank.RetryDelay(1, time.Nanosecond, time.Nanosecond) <= time.Nanosecond, "at most 1ns", bank.RetryDelay(1, time.Nanosecond, time.Nanosecond).String())
}

func TestGuard_TheRelayStopsWithItsServerAndGivesItsLeaseBack(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go (Run, stop) and http_api.go (Start, Server.Wait)", "the relay stops when the server's context ends, and gives its lease back")
	s := newServer(t, fastRelay())
	c.Doing("wait until the relay holds the lease")
	waitUntil(c, "the relay running with the lease", func() bool {
		return s.Get("/outbox").JSON()["relay"].(map[string]any)["status"] == "running" && count(c, s.db, "relay_lease") == 1
	})
	c.Doing("end the server's context")
	s.stop()
	done := make(chan struct{})
	go func() { s.srv.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(spec.Patience):
		c.Fail("Server.Wait returns once the projections and the relay stopped", "still waiting after "+spec.Patience.String())
	}
	c.Equal(0, count(c, s.db, "relay_lease"), "leases left in relay_lease (a clean stop gives it back: the next relay needs not wait)")
	state, err := s.relay.State()
	c.That(state == "stopped" && err == nil, "the relay stopped", fmt.Sprintf("%s %v", state, err))
	c.Equal("stopped", s.Get("/outbox").JSON()["relay"].(map[string]any)["status"], "the relay's status on GET /outbox")
}

// waitUntil waits (at most spec.Patience) until cond holds, polling every 5 ms.
func waitUntil(c *spec.Check, what string, cond func() bool) {
	for deadline := time.Now().Add(spec.Patience); !cond(); time.Sleep(5 * time.Millisecond) { // polling a condition, bounded
		if time.Now().After(deadline) {
			c.Fail(what+" within "+spec.Patience.String(), "not yet")
		}
	}
}

func TestGuard_AnIdleBankWaitsWithoutBurningTheCPU(t *testing.T) {
	c := spec.Guard(t, stage, "projector.go (follow) and relay.go (Run)", "with nothing to do, the projections and the relay sleep until an append, a due retry or their poll wakes them")
	newAPI(t)
	c.Doing("a bank with nothing to do, for a second")
	c.CheckIdle(time.Second, "the bank's projections and relay")
}
