package bank

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// A consumer that cannot handle one input must neither stop (every later input
// would wait behind it for good) nor drop it (the read model would be silently
// wrong). It parks the input in consumer_dead_letters, with the reason and where
// it was, and goes on. Two kinds of consumer park here:
//
//   - a projection parks an event of the log, by its position and the build it
//     was applied to. Its cure is a fix of the code and a rebuild: the rebuild
//     reads the log again, from the start, and applies the event in its place.
//     A rebuild's own dead letters replace those of the build it replaces.
//   - the statement service parks a message, by its id, with the message as it
//     came: re-driving it hands the same message to the service again
//     (statements_redrive.go).
//
// The outbox's dead letters (dead_letters) are another matter: messages the
// bank could not deliver, not inputs a consumer could not take.

const consumerDeadLettersSchema = `
CREATE TABLE IF NOT EXISTS consumer_dead_letters (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	consumer   TEXT NOT NULL,
	build      TEXT NOT NULL,
	position   INTEGER,
	message_id TEXT,
	type       TEXT NOT NULL,
	subject    TEXT NOT NULL,
	data       TEXT NOT NULL,
	reason     TEXT NOT NULL,
	parked_at  TEXT NOT NULL
)`

// ConsumerDeadLetter is an input a consumer parked, as GET /dead-letters shows it.
type ConsumerDeadLetter struct {
	ID        int64     `json:"id"`
	Consumer  string    `json:"consumer"`             // the projection, or "statements"
	Build     string    `json:"build,omitempty"`      // a projection's build: blue or green
	Position  int64     `json:"position,omitempty"`   // an event's global position
	MessageID string    `json:"message_id,omitempty"` // a message's id
	Type      string    `json:"type"`
	Subject   string    `json:"subject"` // the stream, or the message's subject
	Reason    string    `json:"reason"`
	ParkedAt  time.Time `json:"parked_at"`
}

// park puts event e, which build color of the projection could not apply, in
// consumer_dead_letters, on the batch's transaction.
func (r *ProjectionRun) park(ctx context.Context, tx *sql.Tx, color string, e LoggedEvent, why error) error {
	r.log.Warn("projection: event parked", "projection", r.Name, "build", color, "position", e.Position, "type", e.Type, "reason", why)
	_, err := tx.ExecContext(ctx, `INSERT INTO consumer_dead_letters (consumer, build, position, type, subject, data, reason, parked_at)
		VALUES (?, ?, ?, ?, ?, '', ?, ?)`,
		r.Name, color, e.Position, e.Type, e.StreamID, why.Error(), time.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("park event %d, which cannot be applied (%v): %w", e.Position, why, err)
	}
	return nil
}

// ConsumerDeadLetters lists what the consumers parked, oldest first: the
// statement service's messages and the live builds' events (a build being
// rebuilt parks its own, which become these at the switch).
func (p *Projector) ConsumerDeadLetters(ctx context.Context) ([]ConsumerDeadLetter, error) {
	rows, err := p.store.db.Read.QueryContext(ctx, `
		SELECT d.id, d.consumer, d.build, COALESCE(d.position, 0), COALESCE(d.message_id, ''), d.type, d.subject, d.reason, d.parked_at
		FROM consumer_dead_letters d LEFT JOIN read_models m ON m.projection = d.consumer
		WHERE m.projection IS NULL OR m.live = d.build
		ORDER BY d.id LIMIT ?`, maxListed)
	if err != nil {
		return nil, fmt.Errorf("read consumer dead letters: %w", err)
	}
	defer rows.Close()
	out := []ConsumerDeadLetter{}
	for rows.Next() {
		var d ConsumerDeadLetter
		var parkedAt string
		if err := rows.Scan(&d.ID, &d.Consumer, &d.Build, &d.Position, &d.MessageID, &d.Type, &d.Subject, &d.Reason, &parkedAt); err != nil {
			return nil, fmt.Errorf("read consumer dead letters: %w", err)
		}
		if d.ParkedAt, err = time.Parse(time.RFC3339Nano, parkedAt); err != nil {
			return nil, fmt.Errorf("read consumer dead letters: parked_at: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
