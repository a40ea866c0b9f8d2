package bank

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
	"github.com/google/uuid"
)

// ErrConcurrency means a stream moved on since the caller read it: someone else
// appended first. The caller must read again and decide again (HTTP 409).
var ErrConcurrency = errors.New("concurrency conflict: the stream changed since it was read")

// ConcurrencyError says by how much the caller was behind.
type ConcurrencyError struct {
	StreamID         string
	Expected, Actual int64
}

func (e *ConcurrencyError) Error() string {
	return fmt.Sprintf("%v: %s is at version %d, the caller expected %d", ErrConcurrency, e.StreamID, e.Actual, e.Expected)
}

func (e *ConcurrencyError) Unwrap() error { return ErrConcurrency }

// Append adds events to the end of a stream, all or none, if and only if the
// stream is still at expectedVersion (0 for a new stream). This is optimistic
// concurrency: no lock is held while the caller decides, and a stale decision is
// refused here instead of overwriting what happened in between.
func (s *EventStore) Append(
	ctx context.Context, streamID string, expectedVersion int64, meta Metadata, events ...Event,
) ([]Envelope, error) {
	return s.AppendOnce(ctx, nil, nil, streamID, expectedVersion, meta, events...)
}

// AppendOnce is Append for a command the client sent with an Idempotency-Key (nil
// for none), announced by the messages outgoing makes of the stored events (nil
// for none). The key is looked up and recorded, and the messages written to the
// outbox (enqueue, outbox.go), in the append's own transaction: if the key was
// used before, nothing is appended, and the error is an *AlreadyDoneError (the
// same request) or wraps ErrIdempotencyKeyReused (another).
func (s *EventStore) AppendOnce(
	ctx context.Context, key *IdempotencyKey, outgoing Outgoing, streamID string, expectedVersion int64, meta Metadata, events ...Event,
) ([]Envelope, error) {
	// s.db.Write begins transactions IMMEDIATE: it holds the write lock from the first
	// statement, so nobody can append between the version check and the inserts.
	// s.streamVersion and s.insertEvents (below) run their SQL inside the transaction.
	pending, err := s.seal(streamID, expectedVersion, meta, events)
	if err != nil {
		return nil, err
	}
	tx, err := s.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("append to %s: %w", streamID, err)
	}
	defer tx.Rollback() // a no-op after Commit
	if key != nil {
		if err := checkKey(ctx, tx, *key); err != nil {
			return nil, err
		}
	}
	current, err := s.streamVersion(ctx, tx, streamID)
	if err != nil {
		return nil, fmt.Errorf("append to %s: %w", streamID, err)
	}
	if current != expectedVersion {
		return nil, &ConcurrencyError{StreamID: streamID, Expected: expectedVersion, Actual: current}
	}
	stored, err := s.insertEvents(ctx, tx, pending)
	if err != nil {
		return nil, fmt.Errorf("append to %s: %w", streamID, err)
	}
	if key != nil {
		if err := recordKey(ctx, tx, *key, stored[len(stored)-1]); err != nil {
			return nil, fmt.Errorf("append to %s: record Idempotency-Key: %w", streamID, err)
		}
	}
	if err := enqueue(ctx, tx, stored, outgoing); err != nil {
		return nil, fmt.Errorf("append to %s: %w", streamID, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("append to %s: commit: %w", streamID, err)
	}
	s.appended.Broadcast()
	return stored, nil
}

// pendingEvent is an envelope ready to insert, its columns already encoded.
type pendingEvent struct {
	Envelope
	data, metadata, recordedAt string
}

// seal wraps events in envelopes: ids, versions after expectedVersion, the time,
// the metadata. It encodes everything before any write, so that an event that
// cannot be stored fails the whole append before it touches the table.
func (s *EventStore) seal(
	streamID string, expectedVersion int64, meta Metadata, events []Event,
) ([]pendingEvent, error) {
	if len(events) == 0 {
		return nil, errors.New("append: no events")
	}
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return nil, fmt.Errorf("append to %s: metadata: %w", streamID, err)
	}
	now := time.Now().UTC()
	metadata, recordedAt := string(metaJSON), now.Format(time.RFC3339Nano) // the same for every event
	out := make([]pendingEvent, len(events))
	for i, e := range events {
		name, schemaVersion, data, err := s.registry.Encode(e)
		if err != nil {
			return nil, fmt.Errorf("append to %s: %w", streamID, err)
		}
		id, err := uuid.NewV7()
		if err != nil {
			return nil, fmt.Errorf("append to %s: event id: %w", streamID, err)
		}
		out[i] = pendingEvent{data: string(data), metadata: metadata, recordedAt: recordedAt, Envelope: Envelope{
			EventID: id.String(), StreamID: streamID, Version: expectedVersion + int64(i) + 1,
			Type: name, SchemaVersion: schemaVersion, RecordedAt: now, Metadata: meta, Event: e,
		}}
	}
	return out, nil
}

// appendStatements are the two statements of every append, prepared once when
// the store opens. Preparing is SQLite parsing and planning the SQL; done again for
// each append, it costs about as much as running the statement. tx.StmtContext
// runs a prepared statement inside a transaction.
type appendStatements struct {
	version *sql.Stmt // the stream's version
	insert  *sql.Stmt // one event
}

func prepareAppends(ctx context.Context, db *sql.DB) (appendStatements, error) {
	// CAST(? AS TEXT), not a bare ?: SQLite's planner marks a bare parameter in this
	// MAX() query as one whose value may change the plan, the driver clears the
	// bindings before every use, and SQLite then plans the statement again each
	// time, which costs more than the lookup itself (make bench shows it). The
	// stream id is text either way.
	version, err := db.PrepareContext(ctx, `
		SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = CAST(? AS TEXT)`)
	if err != nil {
		return appendStatements{}, fmt.Errorf("prepare the version query: %w", err)
	}
	insert, err := db.PrepareContext(ctx, `
		INSERT INTO events (event_id, stream_id, version, event_type,
			schema_version, data, metadata, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		version.Close()
		return appendStatements{}, fmt.Errorf("prepare the insert: %w", err)
	}
	return appendStatements{version: version, insert: insert}, nil
}

// streamVersion reads inside tx the version of a stream's last event (0 for a
// stream with no events yet).
func (s *EventStore) streamVersion(ctx context.Context, tx *sql.Tx, streamID string) (int64, error) {
	var version int64
	err := tx.StmtContext(ctx, s.appends.version).QueryRowContext(ctx, streamID).Scan(&version)
	return version, err
}

// insertEvents writes the events inside tx, in order, with their personal data
// encrypted, and returns them with their global positions; a PersonalDataForgotten
// deletes its stream's key (personal_data.go). It stops at the first error; the
// caller's rollback then undoes the events already written.
//
// A clash on UNIQUE(stream_id, version) is a concurrency conflict that got past
// the version check: the error says where the stream really is, read in the same
// transaction. (If the stream is not that far, the clash was on event_id, and the
// database's own error says so.)
func (s *EventStore) insertEvents(ctx context.Context, tx *sql.Tx, pending []pendingEvent) ([]Envelope, error) {
	insert := tx.StmtContext(ctx, s.appends.insert)
	stored := make([]Envelope, len(pending))
	for i, p := range pending {
		data, err := s.encryptPersonalData(ctx, tx, p)
		if err != nil {
			return nil, err
		}
		res, err := insert.ExecContext(ctx, p.EventID, p.StreamID, p.Version, p.Type,
			p.SchemaVersion, data, p.metadata, p.recordedAt)
		if sqlitedb.IsUniqueViolation(err) {
			actual, readErr := s.streamVersion(ctx, tx, p.StreamID)
			if readErr == nil && actual >= p.Version {
				return nil, &ConcurrencyError{StreamID: p.StreamID, Expected: pending[0].Version - 1, Actual: actual}
			}
		}
		if err != nil {
			return nil, err
		}
		stored[i] = p.Envelope
		if stored[i].Position, err = res.LastInsertId(); err != nil {
			return nil, err
		}
		if _, forget := p.Event.(PersonalDataForgotten); forget {
			if err := shred(ctx, tx, p.StreamID, p.RecordedAt); err != nil {
				return nil, err
			}
		}
	}
	return stored, nil
}
