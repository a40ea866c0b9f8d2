package bank

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

// The event store is one append-only table. The primary key gives every event its
// global position; UNIQUE(stream_id, version) makes it impossible to store two
// events at the same place in a stream, whatever the code above it does.
const eventsSchema = `
CREATE TABLE IF NOT EXISTS events (
	global_position INTEGER PRIMARY KEY AUTOINCREMENT,
	event_id        TEXT NOT NULL UNIQUE,
	stream_id       TEXT NOT NULL,
	version         INTEGER NOT NULL,
	event_type      TEXT NOT NULL,
	schema_version  INTEGER NOT NULL,
	data            TEXT NOT NULL,
	metadata        TEXT NOT NULL,
	recorded_at     TEXT NOT NULL,
	UNIQUE (stream_id, version)
)`

// EventStore appends events to streams and reads them back.
type EventStore struct {
	db       *sqlitedb.DB
	registry *Registry
	appends  appendStatements // prepared once (eventstore_append.go)
	appended *signal          // broadcast after every append that committed: projections wake up
}

// NewEventStore creates the events table, and the tables that appends write in the
// same transaction: idempotency keys (idempotency.go) and the outbox (outbox.go),
// with the outbox's dead letters and its relay's lease, if they do not exist yet,
// and prepares the statements of Append.
func NewEventStore(ctx context.Context, db *sqlitedb.DB, registry *Registry) (*EventStore, error) {
	for _, schema := range []string{eventsSchema, idempotencySchema, outboxSchema, outboxIndex, deadLettersSchema, leaseSchema} {
		if _, err := db.Write.ExecContext(ctx, schema); err != nil {
			return nil, fmt.Errorf("create the event store's tables: %w", err)
		}
	}
	appends, err := prepareAppends(ctx, db.Write)
	if err != nil {
		return nil, err
	}
	return &EventStore{db: db, registry: registry, appends: appends, appended: newSignal()}, nil
}

// Appended returns a channel that is closed when the next append commits. Take it
// before reading the log, and wait on it once you have read everything.
func (s *EventStore) Appended() <-chan struct{} { return s.appended.Changed() }

// Head is the position of the last event in the log (0 for an empty log).
func (s *EventStore) Head(ctx context.Context) (int64, error) {
	var head int64
	err := s.db.Read.QueryRowContext(ctx, `SELECT COALESCE(MAX(global_position), 0) FROM events`).Scan(&head)
	if err != nil {
		return 0, fmt.Errorf("head of the log: %w", err)
	}
	return head, nil
}

const selectEnvelope = `SELECT global_position, event_id, stream_id, version, event_type, schema_version, data, metadata, recorded_at FROM events`

// Load reads one stream, oldest event first. An unknown stream has no events.
func (s *EventStore) Load(ctx context.Context, streamID string) ([]Envelope, error) {
	rows, err := s.db.Read.QueryContext(ctx, selectEnvelope+` WHERE stream_id = ? ORDER BY version`, streamID)
	if err != nil {
		return nil, fmt.Errorf("load stream %s: %w", streamID, err)
	}
	return s.scanEnvelopes(rows)
}

// ReadAll reads up to limit events of all streams after a global position, in order.
// Paging by position is safe here because SQLite has one writer: a position becomes
// visible only after every smaller one. In a database with concurrent writers
// (PostgreSQL sequences, say) a smaller position can commit later, and a reader
// paging by position would skip it.
func (s *EventStore) ReadAll(ctx context.Context, after int64, limit int) ([]Envelope, error) {
	rows, err := s.db.Read.QueryContext(ctx, selectEnvelope+` WHERE global_position > ? ORDER BY global_position LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read all after %d: %w", after, err)
	}
	return s.scanEnvelopes(rows)
}

// scanEnvelopes decodes rows of selectEnvelope, closing them.
func (s *EventStore) scanEnvelopes(rows *sql.Rows) ([]Envelope, error) {
	defer rows.Close()
	var out []Envelope
	for rows.Next() {
		var e Envelope
		var data, metadata, recordedAt string
		err := rows.Scan(&e.Position, &e.EventID, &e.StreamID, &e.Version, &e.Type, &e.SchemaVersion, &data, &metadata, &recordedAt)
		if err != nil {
			return nil, fmt.Errorf("read event: %w", err)
		}
		if e.Event, err = s.registry.Decode(e.Type, []byte(data)); err != nil {
			return nil, fmt.Errorf("event %d of %s: %w", e.Version, e.StreamID, err)
		}
		if e.Metadata, err = decodeMetadata(metadata); err != nil {
			return nil, fmt.Errorf("event %d of %s: %w", e.Version, e.StreamID, err)
		}
		if e.RecordedAt, err = time.Parse(time.RFC3339Nano, recordedAt); err != nil {
			return nil, fmt.Errorf("event %d of %s: recorded_at: %w", e.Version, e.StreamID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
