package bank

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// A message the publisher refuses again and again (a consumer that rejects it, a
// webhook that answers 400) must not stop every other message, and must not be
// dropped either: the relay parks it in dead_letters with the reason and goes on.
// Only the later messages of its own subject wait behind it, so that no consumer
// ever sees an account's withdrawal before the deposit that paid for it. Once the
// cause is fixed, an operator re-drives it: it goes back to pending, at the head
// of its subject, and the relay delivers it and the ones it held back, in order.

const deadLettersSchema = `
CREATE TABLE IF NOT EXISTS dead_letters (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	outbox_id  INTEGER NOT NULL UNIQUE REFERENCES outbox (id),
	message_id TEXT NOT NULL,
	type       TEXT NOT NULL,
	subject    TEXT NOT NULL,
	attempts   INTEGER NOT NULL,
	reason     TEXT NOT NULL,
	parked_at  TEXT NOT NULL
)`

// ErrDeadLetterNotFound means no dead letter has that id (HTTP 404).
var ErrDeadLetterNotFound = errors.New("dead letter not found")

// DeadLetter is a parked message as GET /dead-letters shows it.
type DeadLetter struct {
	ID        int64     `json:"id"`
	OutboxID  int64     `json:"outbox_id"`
	MessageID string    `json:"message_id"`
	Type      string    `json:"type"`
	Subject   string    `json:"subject"`
	Attempts  int       `json:"attempts"`
	Reason    string    `json:"reason"` // the publisher's last refusal
	ParkedAt  time.Time `json:"parked_at"`
}

// maxListed bounds the rows GET /outbox and GET /dead-letters list.
const maxListed = 100

// DeadLetters lists the parked messages, oldest first.
func (o *outbox) DeadLetters(ctx context.Context) ([]DeadLetter, error) {
	rows, err := o.db.Read.QueryContext(ctx, `SELECT id, outbox_id, message_id, type, subject, attempts, reason, parked_at
		FROM dead_letters ORDER BY id LIMIT ?`, maxListed)
	if err != nil {
		return nil, fmt.Errorf("dead letters: %w", err)
	}
	defer rows.Close()
	out := []DeadLetter{}
	for rows.Next() {
		var d DeadLetter
		var parkedAt string
		if err := rows.Scan(&d.ID, &d.OutboxID, &d.MessageID, &d.Type, &d.Subject, &d.Attempts, &d.Reason, &parkedAt); err != nil {
			return nil, fmt.Errorf("dead letters: %w", err)
		}
		if d.ParkedAt, err = time.Parse(time.RFC3339Nano, parkedAt); err != nil {
			return nil, fmt.Errorf("dead letter %d: parked_at: %w", d.ID, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Redrive puts a dead letter's message back to pending, due now and with its
// attempts at 0, and removes the dead letter, in one transaction. It keeps its
// place in the outbox, the head of its subject, so order holds.
func (o *outbox) Redrive(ctx context.Context, id int64, now time.Time) error {
	tx, err := o.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("redrive: %w", err)
	}
	defer tx.Rollback() // a no-op after Commit
	var outboxID int64
	err = tx.QueryRowContext(ctx, `SELECT outbox_id FROM dead_letters WHERE id = ?`, id).Scan(&outboxID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %d", ErrDeadLetterNotFound, id)
	}
	if err != nil {
		return fmt.Errorf("redrive: %w", err)
	}
	if err := redrive(ctx, tx, id, outboxID, now); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("redrive: commit: %w", err)
	}
	return nil
}

// redrive removes dead letter id and sets its message, outbox row outboxID, back
// to pending, on tx.
func redrive(ctx context.Context, tx *sql.Tx, id, outboxID int64, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM dead_letters WHERE id = ?`, id); err != nil {
		return fmt.Errorf("redrive: %w", err)
	}
	_, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, last_error = ''
		WHERE id = ? AND status = 'parked'`, now.UTC().Format(time.RFC3339Nano), outboxID)
	if err != nil {
		return fmt.Errorf("redrive: %w", err)
	}
	return nil
}
