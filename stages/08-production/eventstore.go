package bank

import (
	"context"
	"database/sql"
	"errors"
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
// with the outbox's dead letters and its relay's lease, and the keys of personal
// data (personal_data.go), if they do not exist yet, and prepares the statements
// of Append. (A forgetting also clears the snapshots table: NewSnapshots makes it.)
func NewEventStore(ctx context.Context, db *sqlitedb.DB, registry *Registry) (*EventStore, error) {
	for _, schema := range []string{eventsSchema, idempotencySchema, outboxSchema, outboxIndex, deadLettersSchema, leaseSchema,
		personalKeysSchema} {
		if _, err := db.Write.ExecContext(ctx, schema); err != nil {
			return nil, fmt.Errorf("create the event store's tables: %w", err)
		}
	}
	// What a delete frees is overwritten with zeros: a forgotten name and its
	// deleted key must not stay in a free page (personal_data.go).
	if _, err := db.Write.ExecContext(ctx, `PRAGMA secure_delete = ON`); err != nil {
		return nil, fmt.Errorf("turn secure_delete on: %w", err)
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

// selectEnvelope reads events with the key of their stream's personal data.
const selectEnvelope = `SELECT global_position, event_id, stream_id, version, event_type, schema_version, data, metadata, recorded_at,
	secret, forgotten_at FROM events LEFT JOIN personal_keys ON subject = stream_id`

// Load reads one stream, oldest event first. An unknown stream has no events.
func (s *EventStore) Load(ctx context.Context, streamID string) ([]Envelope, error) {
	rows, err := s.db.Read.QueryContext(ctx, selectEnvelope+` WHERE stream_id = ? ORDER BY version`, streamID)
	if err != nil {
		return nil, fmt.Errorf("load stream %s: %w", streamID, err)
	}
	return s.scanEnvelopes(rows)
}

// LoadFrom reads the events of one stream from a version on, oldest first: for a
// load that starts at a snapshot of that version, the snapshot's own event (proof
// that the stream reached it) and the events it still has to apply.
func (s *EventStore) LoadFrom(ctx context.Context, streamID string, version int64) ([]Envelope, error) {
	rows, err := s.db.Read.QueryContext(ctx, selectEnvelope+` WHERE stream_id = ? AND version >= ? ORDER BY version`, streamID, version)
	if err != nil {
		return nil, fmt.Errorf("load stream %s from version %d: %w", streamID, version, err)
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

// LoggedEvent is one row of the log as a projection reads it: the event, or, for
// a row this code cannot decode (an unknown type, data that is not its JSON),
// the position and names of the row and why (Err). A projection parks such a row
// and goes on (projector_batch.go); Load and ReadAll refuse it.
type LoggedEvent struct {
	Envelope
	Err error
}

// ReadLog reads up to limit rows of the log after a global position, in order,
// like ReadAll, but a row that does not decode is returned with its error
// instead of failing the read.
func (s *EventStore) ReadLog(ctx context.Context, after int64, limit int) ([]LoggedEvent, error) {
	rows, err := s.db.Read.QueryContext(ctx, selectEnvelope+` WHERE global_position > ? ORDER BY global_position LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read the log after %d: %w", after, err)
	}
	defer rows.Close()
	var out []LoggedEvent
	for rows.Next() {
		e, err := s.scanEnvelope(rows)
		var undecodable *undecodableError
		if err != nil && !errors.As(err, &undecodable) {
			return nil, err
		}
		out = append(out, LoggedEvent{Envelope: e, Err: err})
	}
	return out, rows.Err()
}

// scanEnvelopes decodes rows of selectEnvelope, closing them.
func (s *EventStore) scanEnvelopes(rows *sql.Rows) ([]Envelope, error) {
	defer rows.Close()
	var out []Envelope
	for rows.Next() {
		e, err := s.scanEnvelope(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// undecodableError is a row that was read but does not decode.
type undecodableError struct{ err error }

func (u *undecodableError) Error() string { return u.err.Error() }
func (u *undecodableError) Unwrap() error { return u.err }

// scanEnvelope decodes the current row of selectEnvelope. A row that does not
// decode gives an *undecodableError, with what could be read of it in the Envelope.
func (s *EventStore) scanEnvelope(rows *sql.Rows) (Envelope, error) {
	var e Envelope
	var data, metadata, recordedAt string
	var key personalKey
	err := rows.Scan(&e.Position, &e.EventID, &e.StreamID, &e.Version, &e.Type, &e.SchemaVersion, &data, &metadata, &recordedAt,
		&key.secret, &key.forgotten)
	if err != nil {
		return Envelope{}, fmt.Errorf("read event: %w", err)
	}
	undecodable := func(err error) (Envelope, error) {
		return e, &undecodableError{fmt.Errorf("event %d of %s: %w", e.Version, e.StreamID, err)}
	}
	if e.Event, err = s.registry.Decode(e.Type, e.SchemaVersion, []byte(data)); err != nil {
		return undecodable(err)
	}
	if e.Event, err = decryptPersonalData(e.Event, e.StreamID, key); err != nil {
		return undecodable(err)
	}
	stored := StoredAs{Type: e.Type, SchemaVersion: e.SchemaVersion}
	if e.Type, e.SchemaVersion, err = s.registry.NameOf(e.Event); err != nil {
		return undecodable(err)
	}
	if stored != (StoredAs{Type: e.Type, SchemaVersion: e.SchemaVersion}) {
		e.StoredAs = &stored // read through an alias or upcasters
	}
	if e.Metadata, err = decodeMetadata(metadata); err != nil {
		return undecodable(err)
	}
	if e.RecordedAt, err = time.Parse(time.RFC3339Nano, recordedAt); err != nil {
		return undecodable(fmt.Errorf("recorded_at: %w", err))
	}
	return e, nil
}
