package bank

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// A client that sent a withdrawal and got no answer (a timeout, a dropped
// connection) cannot know whether it happened. The only safe thing it can do is
// send it again, with the same Idempotency-Key: the key says "this is the same
// command as before", and the bank carries a command out at most once per key.
// A repeat gets the first answer, and nothing is written again.
//
// The key is recorded IN THE SAME TRANSACTION as the command's events (see
// EventStore.append): both are stored, or neither. Recorded in a transaction of
// its own, a crash (or a failed write) between the two would leave the events
// without the key, and the client's retry would withdraw the money twice. And it
// is looked up in that transaction too, under the write lock: two copies of a
// command sent at once cannot both find the key unused.

// idempotencySchema holds one row per command a client sent with a key: the
// request it stood for, and where its last event landed (its answer).
const idempotencySchema = `
CREATE TABLE IF NOT EXISTS idempotency_keys (
	key         TEXT PRIMARY KEY,
	request     TEXT NOT NULL,
	stream_id   TEXT NOT NULL,
	version     INTEGER NOT NULL,
	position    INTEGER NOT NULL,
	recorded_at TEXT NOT NULL
)`

// IdempotencyKey asks for an append to happen at most once: Key is the client's
// Idempotency-Key, Request the command it stands for (its name and fields), so
// that the same key sent with another command is refused, not mistaken for it.
type IdempotencyKey struct {
	Key     string
	Request string
}

// ErrIdempotencyKeyReused means a key came back with another request (HTTP 422).
var ErrIdempotencyKeyReused = errors.New("this Idempotency-Key was already used for another request")

// AlreadyDoneError is the answer to a command whose key was used before for the
// same request: nothing was written now, and this is where the first one's last
// event landed.
type AlreadyDoneError struct {
	Key               string
	StreamID          string
	Version, Position int64
}

func (e *AlreadyDoneError) Error() string {
	return fmt.Sprintf("the command with Idempotency-Key %q was carried out before (%s version %d)", e.Key, e.StreamID, e.Version)
}

// querier is what a transaction and a pool of connections both can do.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// checkKey looks a key up: nil if it was never used, an *AlreadyDoneError if it
// was used for the same request, an error wrapping ErrIdempotencyKeyReused if for
// another. Inside an append it runs on the append's transaction.
func checkKey(ctx context.Context, q querier, key IdempotencyKey) error {
	var request, streamID string
	var version, position int64
	err := q.QueryRowContext(ctx, `SELECT request, stream_id, version, position FROM idempotency_keys WHERE key = ?`,
		key.Key).Scan(&request, &streamID, &version, &position)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("look up Idempotency-Key %q: %w", key.Key, err)
	case request != key.Request && request != ForgottenPersonalData: // forgotten: it held a name (personal_data.go)
		return fmt.Errorf("%w: %q", ErrIdempotencyKeyReused, key.Key)
	}
	return &AlreadyDoneError{Key: key.Key, StreamID: streamID, Version: version, Position: position}
}

// recordKey stores a key with the request and where its last event landed, in
// the transaction that appends the events.
func recordKey(ctx context.Context, tx *sql.Tx, key IdempotencyKey, last Envelope) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO idempotency_keys (key, request, stream_id, version, position, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?)`,
		key.Key, key.Request, last.StreamID, last.Version, last.Position, last.RecordedAt.Format(time.RFC3339Nano))
	return err
}

// CheckKey looks a key up before a command loads anything. A retry that arrives
// after the first command finished gets its answer here, before the command is
// decided again on a state it has changed itself (a second close would be
// refused: the account is closed, by the first one).
func (s *EventStore) CheckKey(ctx context.Context, key IdempotencyKey) error {
	return checkKey(ctx, s.db.Read, key)
}
