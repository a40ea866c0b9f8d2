package dashboard

import (
	"context"
	"database/sql"
	"fmt"
)

// Outbox is stage 5's outbox: how many messages wait or are parked, and the
// newest messages with their status and attempts.
type Outbox struct {
	Pending  int64           `json:"pending"`
	Parked   int64           `json:"parked"`
	Messages []OutboxMessage `json:"messages"`
}

// OutboxMessage is one integration message in the outbox.
type OutboxMessage struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	Subject   string `json:"subject"`
	Status    string `json:"status"`
	Attempts  int64  `json:"attempts"`
	LastError string `json:"last_error,omitempty"`
}

// DeadLetter is a message the relay gave up on (dead_letters), or an input a
// consumer parked (consumer_dead_letters, stage 6, with Consumer set).
type DeadLetter struct {
	ID       int64  `json:"id"`
	Consumer string `json:"consumer,omitempty"`
	Build    string `json:"build,omitempty"`
	Position int64  `json:"position,omitempty"`
	Type     string `json:"type"`
	Subject  string `json:"subject"`
	Attempts int64  `json:"attempts,omitempty"`
	Reason   string `json:"reason"`
	ParkedAt string `json:"parked_at"`
}

const (
	outboxLimit     = 12
	deadLetterLimit = 10
	// undeliveredCap bounds the count of waiting messages: past it the panel says "10000+".
	undeliveredCap = 10000
)

// readOutbox reads the newest messages and counts the undelivered ones through
// the stage's partial index of undelivered messages (published ones are not in it).
func readOutbox(ctx context.Context, q querier) (*Outbox, error) {
	o := &Outbox{Messages: []OutboxMessage{}}
	err := q.QueryRowContext(ctx, `SELECT COALESCE(SUM(status = 'pending'), 0), COALESCE(SUM(status = 'parked'), 0)
		FROM (SELECT status FROM outbox WHERE status <> 'published' LIMIT ?)`, undeliveredCap).Scan(&o.Pending, &o.Parked)
	if err != nil {
		return nil, fmt.Errorf("count the outbox: %w", err)
	}
	rows, err := q.QueryContext(ctx, `SELECT id, type, subject, status, attempts, last_error FROM outbox ORDER BY id DESC LIMIT ?`, outboxLimit)
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m OutboxMessage
		if err := rows.Scan(&m.ID, &m.Type, &m.Subject, &m.Status, &m.Attempts, &m.LastError); err != nil {
			return nil, fmt.Errorf("read the outbox: %w", err)
		}
		o.Messages = append(o.Messages, m)
	}
	return o, rows.Err()
}

// readDeadLetters reads the relay's newest dead letters.
func readDeadLetters(ctx context.Context, q querier) ([]DeadLetter, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, type, subject, attempts, reason, parked_at FROM dead_letters ORDER BY id DESC LIMIT ?`, deadLetterLimit)
	if err != nil {
		return nil, fmt.Errorf("read dead letters: %w", err)
	}
	defer rows.Close()
	out := []DeadLetter{}
	for rows.Next() {
		var d DeadLetter
		if err := rows.Scan(&d.ID, &d.Type, &d.Subject, &d.Attempts, &d.Reason, &d.ParkedAt); err != nil {
			return nil, fmt.Errorf("read dead letters: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// readConsumerDeadLetters reads the newest inputs the consumers parked.
func readConsumerDeadLetters(ctx context.Context, q querier) ([]DeadLetter, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, consumer, build, position, type, subject, reason, parked_at
		FROM consumer_dead_letters ORDER BY id DESC LIMIT ?`, deadLetterLimit)
	if err != nil {
		return nil, fmt.Errorf("read consumer dead letters: %w", err)
	}
	defer rows.Close()
	out := []DeadLetter{}
	for rows.Next() {
		var d DeadLetter
		var position sql.NullInt64
		if err := rows.Scan(&d.ID, &d.Consumer, &d.Build, &position, &d.Type, &d.Subject, &d.Reason, &d.ParkedAt); err != nil {
			return nil, fmt.Errorf("read consumer dead letters: %w", err)
		}
		d.Position = position.Int64
		out = append(out, d)
	}
	return out, rows.Err()
}
