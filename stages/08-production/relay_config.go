package bank

import (
	"errors"
	"fmt"
	"time"
)

// How the relay is tuned, and what it reports of itself (GET /outbox).

// RelayConfig tunes the relay.
type RelayConfig struct {
	MaxAttempts    int           // a message refused this many times is parked
	FirstRetry     time.Duration // the longest pause after the first refusal; it doubles after each one
	MaxRetry       time.Duration // ... up to this
	PublishTimeout time.Duration // bounds one publish: at most LeaseTTL/4
	LeaseTTL       time.Duration // how long a lease lasts unless renewed
	PollInterval   time.Duration // how often an idle relay looks for work it was not told of
}

// DefaultRelayConfig is what cmd/server runs with.
func DefaultRelayConfig() RelayConfig {
	return RelayConfig{MaxAttempts: 8, FirstRetry: 500 * time.Millisecond, MaxRetry: time.Minute,
		PublishTimeout: 5 * time.Second, LeaseTTL: 20 * time.Second, PollInterval: time.Second}
}

// check refuses a configuration the relay cannot keep its promises with.
func (c RelayConfig) check() error {
	switch {
	case c.MaxAttempts < 1:
		return errors.New("relay: MaxAttempts must be at least 1")
	case c.FirstRetry <= 0 || c.MaxRetry < c.FirstRetry || c.PollInterval <= 0:
		return errors.New("relay: FirstRetry and PollInterval must be positive, and MaxRetry at least FirstRetry")
	case c.PublishTimeout <= 0 || c.PublishTimeout > c.LeaseTTL/4:
		return errors.New("relay: PublishTimeout must be positive and at most LeaseTTL/4 (see relay_lease.go)")
	}
	return nil
}

// report records the relay's state after a step, and logs a new failure.
func (r *Relay) report(state string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		if r.err == nil || r.err.Error() != err.Error() {
			r.log.Error("relay: pass failed; trying again", "error", err)
		}
		state = "failing"
	}
	r.state, r.err = state, err
}

// State is the relay's state, and why its last pass failed (nil unless failing).
func (r *Relay) State() (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state, r.err
}

// String names the publisher, for GET /outbox.
func (r *Relay) String() string {
	if named, ok := r.publisher.(fmt.Stringer); ok {
		return named.String()
	}
	return fmt.Sprintf("%T", r.publisher)
}
