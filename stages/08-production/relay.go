package bank

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/google/uuid"
)

// The relay sends the outbox's messages to a Publisher, in the order they were
// written, and marks each published only after the publisher acknowledged it. A
// crash between the two sends that message again after the restart: delivery is
// at least once, never at most once.
//
// A message the publisher refuses is tried again later, after a pause that doubles
// with each attempt and is partly random (jitter: consumers that failed together
// are not all retried in the same instant). After MaxAttempts it is parked in
// dead_letters (dead_letters.go), and the relay goes on with the rest. While a
// message waits, for its next attempt or parked, the later messages of its
// subject (its account) wait behind it: one account's messages arrive in order,
// other accounts' messages go on.
//
// One relay at a time works on a database (relay_lease.go). It wakes when the
// event store appends, and polls every PollInterval for what it was not told of
// (another server's appends, a message due for its retry). It stops when its
// context ends, and gives its lease back.

// relayBatch is how many outbox rows a pass reads at a time.
const relayBatch = 100

// Relay delivers the outbox.
type Relay struct {
	outbox    *outbox
	lease     *lease
	publisher Publisher
	cfg       RelayConfig
	log       *slog.Logger
	appended  func() <-chan struct{} // the event store's signal: an append committed
	redriven  *signal                // a dead letter was re-driven

	mu    sync.Mutex
	state string // starting, running, standby (another relay holds the lease), failing, stopped
	err   error  // why the last pass failed, while it is failing
}

// NewRelay returns a relay for the outbox of store's database.
func NewRelay(store *EventStore, publisher Publisher, cfg RelayConfig, log *slog.Logger) (*Relay, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return &Relay{outbox: &outbox{db: store.db}, lease: &lease{db: store.db, holder: uuid.NewString()},
		publisher: publisher, cfg: cfg, log: log, appended: store.Appended, redriven: newSignal(), state: "starting"}, nil
}

// Run relays until ctx ends, then gives the lease back.
func (r *Relay) Run(ctx context.Context) {
	defer r.stop()
	for ctx.Err() == nil {
		appended, redriven := r.appended(), r.redriven.Changed() // before the pass: nothing during it is missed
		wait := r.cfg.PollInterval
		held, err := r.holdLease(ctx)
		switch {
		case err != nil:
			r.report("failing", err)
		case !held:
			r.report("standby", nil)
			appended = nil // another relay delivers what this server appends
		default:
			progress, next, err := r.pass(ctx)
			r.report("running", err)
			if progress {
				continue // a delivery or a refusal changed the outbox: look again at once
			}
			if !next.IsZero() {
				wait = min(wait, time.Until(next))
			}
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-appended:
		case <-redriven:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// holdLease makes sure this relay holds the lease for at least half of LeaseTTL
// more, renewing it when less is left (a write, so not on every pass).
func (r *Relay) holdLease(ctx context.Context) (bool, error) {
	now := time.Now()
	if r.lease.holds(now.Add(r.cfg.LeaseTTL / 2)) {
		return true, nil
	}
	return r.lease.acquire(ctx, now, r.cfg.LeaseTTL)
}

// stop marks the relay stopped and gives its lease back, with a context of its own:
// the relay's has ended.
func (r *Relay) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := r.lease.release(ctx); err != nil {
		r.log.Warn("relay: giving the lease back", "error", err)
	}
	r.report("stopped", nil)
}

// pass goes through the undelivered messages once, in order, and delivers each
// one that is ready. It reports whether it delivered or recorded a refusal, and
// the earliest time a waiting message is due (zero: none).
func (r *Relay) pass(ctx context.Context) (progress bool, next time.Time, err error) {
	held := map[string]bool{} // subjects with an undelivered message: their later messages wait
	for after := int64(0); ; {
		batch, err := r.outbox.undelivered(ctx, after, relayBatch)
		if err != nil || len(batch) == 0 {
			return progress, next, err
		}
		for _, m := range batch {
			after = m.id
			now := time.Now()
			if m.status == statusPending && m.nextAttemptAt.After(now) && (next.IsZero() || m.nextAttemptAt.Before(next)) {
				next = m.nextAttemptAt
			}
			ok, err := ready(m, held, now)
			if err != nil {
				return progress, next, err
			}
			if !ok {
				continue // it waits, and its subject's later messages wait behind it
			}
			if held, err := r.holdLease(ctx); err != nil || !held {
				return progress, next, errors.Join(errors.New("relay: the lease was lost"), err)
			}
			delivered, err := r.deliver(ctx, m)
			if err != nil {
				return progress, next, err
			}
			progress = true
			if !delivered {
				held[m.message.Subject] = true
			}
		}
	}
}

// ready says whether m may be delivered now. It may if no earlier message of its
// subject is held back, and it is pending and due. A message that may not holds
// back the later messages of its subject: ready records its subject in held.
func ready(m outboxRow, held map[string]bool, now time.Time) (bool, error) {
	if held[m.message.Subject] {
		return false, nil
	}
	if m.status != statusPending || m.nextAttemptAt.After(now) {
		held[m.message.Subject] = true
		return false, nil
	}
	return true, nil
}

// deliver publishes one message and reports whether the publisher acknowledged it.
func (r *Relay) deliver(ctx context.Context, m outboxRow) (bool, error) {
	if err := r.publish(ctx, m.message); err != nil {
		return false, r.failed(ctx, m, err)
	}
	return true, r.outbox.markPublished(ctx, m.id, time.Now())
}

// publish hands m to the publisher, bounded by PublishTimeout.
func (r *Relay) publish(ctx context.Context, m IntegrationMessage) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.PublishTimeout)
	defer cancel()
	return r.publisher.Publish(ctx, m)
}

// failed records that the publisher refused m (cause): it is tried again after
// RetryDelay, or, at its MaxAttempts-th refusal, parked in dead_letters.
func (r *Relay) failed(ctx context.Context, m outboxRow, cause error) error {
	attempts := m.attempts + 1
	if attempts >= r.cfg.MaxAttempts {
		r.log.Warn("relay: message parked in dead_letters", "message_id", m.message.ID, "type", m.message.Type,
			"subject", m.message.Subject, "attempts", attempts, "reason", cause)
		return r.outbox.park(ctx, m, attempts, cause.Error(), time.Now())
	}
	next := time.Now().Add(RetryDelay(attempts, r.cfg.FirstRetry, r.cfg.MaxRetry))
	return r.outbox.retryAt(ctx, m.id, attempts, next, cause.Error())
}

// RetryDelay is the pause after a message's attempt-th refusal: between half and
// all of a ceiling that starts at first and doubles each attempt, up to max. The
// fixed half spaces retries out; the random half (jitter) spreads them.
func RetryDelay(attempt int, first, max time.Duration) time.Duration {
	ceiling := first
	for n := 1; n < attempt && ceiling < max; n++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, max)
	return ceiling/2 + rand.N(ceiling/2+1)
}

// Redrive puts dead letter id back in the outbox and wakes the relay.
func (r *Relay) Redrive(ctx context.Context, id int64) error {
	if err := r.outbox.Redrive(ctx, id, time.Now()); err != nil {
		return err
	}
	r.redriven.Broadcast()
	return nil
}
