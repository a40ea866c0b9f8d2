package bank

import (
	"context"
	"fmt"
	"time"
)

// What GET /outbox shows: the relay (its state, its publisher, who holds the
// lease), how many messages wait and are parked, and the first undelivered ones
// in order, each with its attempts, its next try and the last refusal.

// OutboxView reads the outbox for GET /outbox and GET /dead-letters.
type OutboxView struct {
	relay  *Relay
	outbox *outbox
}

// OutboxStatus is GET /outbox.
type OutboxStatus struct {
	Relay    RelayStatus   `json:"relay"`
	Pending  int           `json:"pending"` // messages to deliver
	Parked   int           `json:"parked"`  // messages in dead_letters
	Messages []OutboxEntry `json:"messages"`
}

// RelayStatus is the relay as GET /outbox shows it.
type RelayStatus struct {
	Status     string           `json:"status"` // starting, running, standby, failing, stopped
	Error      string           `json:"error,omitempty"`
	Publisher  string           `json:"publisher"`
	Lease      LeaseHolder      `json:"lease"`
	ThisRelay  string           `json:"this_relay"` // this server's relay: the lease's holder when it is this one
	Subscriber *SubscriberStats `json:"subscriber,omitempty"`
}

// OutboxEntry is an undelivered message.
type OutboxEntry struct {
	ID            int64     `json:"id"`
	MessageID     string    `json:"message_id"`
	Type          string    `json:"type"`
	Subject       string    `json:"subject"`
	Status        string    `json:"status"` // pending or parked
	Attempts      int       `json:"attempts"`
	NextAttemptAt time.Time `json:"next_attempt_at"`
	LastError     string    `json:"last_error,omitempty"`
}

// Status reports the outbox and the relay.
func (v *OutboxView) Status(ctx context.Context) (OutboxStatus, error) {
	state, err := v.relay.State()
	s := OutboxStatus{Relay: RelayStatus{Status: state, Publisher: v.relay.String(), ThisRelay: v.relay.lease.holder}, Messages: []OutboxEntry{}}
	if err != nil {
		s.Relay.Error = err.Error()
	}
	if sub, ok := v.relay.publisher.(*Subscriber); ok {
		stats := sub.Stats()
		s.Relay.Subscriber = &stats
	}
	if s.Relay.Lease, err = readLease(ctx, v.outbox.db); err != nil {
		return OutboxStatus{}, err
	}
	err = v.outbox.db.Read.QueryRowContext(ctx, `SELECT COALESCE(SUM(status = 'pending'), 0), COALESCE(SUM(status = 'parked'), 0)
		FROM outbox WHERE status <> 'published'`).Scan(&s.Pending, &s.Parked)
	if err != nil {
		return OutboxStatus{}, fmt.Errorf("outbox: %w", err)
	}
	first, err := v.outbox.undelivered(ctx, 0, maxListed)
	if err != nil {
		return OutboxStatus{}, err
	}
	for _, m := range first {
		s.Messages = append(s.Messages, OutboxEntry{ID: m.id, MessageID: m.message.ID, Type: m.message.Type, Subject: m.message.Subject,
			Status: m.status, Attempts: m.attempts, NextAttemptAt: m.nextAttemptAt.UTC(), LastError: m.lastError})
	}
	return s, nil
}

// DeadLetters lists the parked messages, oldest first.
func (v *OutboxView) DeadLetters(ctx context.Context) ([]DeadLetter, error) {
	return v.outbox.DeadLetters(ctx)
}
