package bank

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

// The transactional outbox. A command's events and the messages that announce them
// are written in ONE transaction (EventStore.AppendOnce calls enqueue on its tx):
// both are stored or neither. The relay (relay.go) sends the messages afterwards,
// from this table. The alternative, the dual write, always has a gap:
//
//   - save the events, then publish: a crash (or a broker that is down) between
//     the two, and the message is lost, though the money moved;
//   - publish, then save the events: a refusal of the save (a conflict, a full
//     disk), and the world was told about a payment that never happened.
//
// With the outbox, the only gap left is after the relay has published and before
// it marks the row published: a crash there sends the message again. That is
// "at least once", and the message id lets a consumer drop the copy.

const outboxSchema = `
CREATE TABLE IF NOT EXISTS outbox (
	id              INTEGER PRIMARY KEY AUTOINCREMENT, -- the order messages go out in
	message_id      TEXT NOT NULL UNIQUE,
	subject         TEXT NOT NULL,
	type            TEXT NOT NULL,
	payload         TEXT NOT NULL,                     -- the message as it is sent (JSON)
	recorded_at     TEXT NOT NULL,
	status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'published', 'parked')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TEXT NOT NULL,
	last_error      TEXT NOT NULL DEFAULT '',
	published_at    TEXT
)`

// The relay reads only what is still to deliver: a partial index keeps that read
// short however many published rows the table holds.
const outboxIndex = `CREATE INDEX IF NOT EXISTS outbox_undelivered ON outbox (id) WHERE status <> 'published'`

// A message's status in the outbox.
const (
	statusPending   = "pending"   // to be delivered, when next_attempt_at has come
	statusPublished = "published" // the publisher acknowledged it
	statusParked    = "parked"    // refused too often: in dead_letters, holding back its subject
)

// enqueue writes the messages that announce the stored events to the outbox, on
// tx: the append's own transaction, so the messages commit with the events or not
// at all. A nil outgoing announces nothing (an append of the migration, say).
func enqueue(ctx context.Context, tx *sql.Tx, stored []Envelope, outgoing Outgoing) error {
	if outgoing == nil {
		return nil
	}
	messages, err := outgoing(stored)
	if err != nil {
		return err
	}
	for _, m := range messages {
		if err := insertMessage(ctx, tx, m); err != nil {
			return fmt.Errorf("outbox: message %s: %w", m.Type, err)
		}
	}
	return nil
}

// insertMessage adds one message to the outbox on tx, pending and due at once.
func insertMessage(ctx context.Context, tx *sql.Tx, m IntegrationMessage) error {
	payload, err := json.Marshal(m)
	if err != nil {
		return err
	}
	now := m.OccurredAt.UTC().Format(time.RFC3339Nano)
	_, err = tx.ExecContext(ctx, `
		INSERT INTO outbox (message_id, subject, type, payload, recorded_at, next_attempt_at)
		VALUES (?, ?, ?, ?, ?, ?)`, m.ID, m.Subject, m.Type, string(payload), now, now)
	return err
}

// outbox is the relay's view of the table: what is left to deliver, and the
// changes a delivery makes.
type outbox struct{ db *sqlitedb.DB }

// outboxRow is one undelivered message.
type outboxRow struct {
	id            int64
	message       IntegrationMessage
	status        string
	attempts      int
	nextAttemptAt time.Time
	lastError     string
}

// undelivered reads up to limit messages not yet published, after id after, in
// the order they were written.
func (o *outbox) undelivered(ctx context.Context, after int64, limit int) ([]outboxRow, error) {
	rows, err := o.db.Read.QueryContext(ctx, `
		SELECT id, payload, status, attempts, next_attempt_at, last_error FROM outbox
		WHERE status <> 'published' AND id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox: read: %w", err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		var payload, next string
		if err := rows.Scan(&r.id, &payload, &r.status, &r.attempts, &next, &r.lastError); err != nil {
			return nil, fmt.Errorf("outbox: read: %w", err)
		}
		if err := json.Unmarshal([]byte(payload), &r.message); err != nil {
			return nil, fmt.Errorf("outbox: message %d: %w", r.id, err)
		}
		if r.nextAttemptAt, err = time.Parse(time.RFC3339Nano, next); err != nil {
			return nil, fmt.Errorf("outbox: message %d: next_attempt_at: %w", r.id, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// errNotPending means a message changed under the relay: another relay, or a
// hand on the database. The relay stops its pass rather than guess.
var errNotPending = errors.New("outbox: the message is no longer pending")

// markPublished records that the publisher acknowledged message id. It finishes
// even when ctx ends (the server is stopping), within markTimeout: a stop is no
// reason to send an acknowledged message a second time.
func (o *outbox) markPublished(ctx context.Context, id int64, at time.Time) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	return o.update(ctx, `UPDATE outbox SET status = 'published', attempts = attempts + 1, published_at = ?
		WHERE id = ? AND status = 'pending'`, at.UTC().Format(time.RFC3339Nano), id)
}

// markTimeout bounds markPublished once the relay's context has ended.
const markTimeout = 5 * time.Second

// retryAt records a refused attempt and when to try again.
func (o *outbox) retryAt(ctx context.Context, id int64, attempts int, next time.Time, reason string) error {
	return o.update(ctx, `UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ?
		WHERE id = ? AND status = 'pending'`, attempts, next.UTC().Format(time.RFC3339Nano), reason, id)
}

// update runs one UPDATE of one pending message on the write connection.
func (o *outbox) update(ctx context.Context, query string, args ...any) error {
	res, err := o.db.Write.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("%w (message %v)", errNotPending, args[len(args)-1])
	}
	return nil
}

// park moves a message that was refused too often to dead_letters, with the
// reason, in one transaction: the row says parked exactly when its dead letter
// exists. It stays in the outbox, where it holds back the later messages of its
// subject until it is re-driven (dead_letters.go).
func (o *outbox) park(ctx context.Context, m outboxRow, attempts int, reason string, at time.Time) error {
	tx, err := o.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("outbox: park: %w", err)
	}
	defer tx.Rollback() // a no-op after Commit
	res, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'parked', attempts = ?, last_error = ?
		WHERE id = ? AND status = 'pending'`, attempts, reason, m.id)
	if err != nil {
		return fmt.Errorf("outbox: park: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("%w (message %d)", errNotPending, m.id)
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO dead_letters (outbox_id, message_id, type, subject, attempts, reason, parked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		m.id, m.message.ID, m.message.Type, m.message.Subject, attempts, reason, at.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("outbox: park: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("outbox: park: commit: %w", err)
	}
	return nil
}
