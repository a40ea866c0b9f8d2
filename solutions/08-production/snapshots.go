package bank

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

// A snapshot is a cache of a fold: an account's state at one version of its
// stream, stored so that loading a long stream reads the snapshot and only the
// events after it, not every event since the account was opened. The events stay
// the truth. A snapshot can be deleted at any time (the next load replays the
// stream and the next save takes a new one), and it is never needed to decide
// anything correctly, only to decide it sooner.
//
// A snapshot is written in the shape of the code that took it. When that shape or
// the fold changes (a new field on Account, a new case in apply), the snapshot's
// state version goes up (AccountStateVersion), and the snapshots of the old shape
// are simply not read: the stream is replayed, and snapshotted again.
const snapshotsSchema = `
CREATE TABLE IF NOT EXISTS snapshots (
	stream_id     TEXT PRIMARY KEY,  -- one snapshot per stream: the latest
	version       INTEGER NOT NULL,  -- the stream version it is at
	state_version INTEGER NOT NULL,  -- its shape: AccountStateVersion
	state         TEXT NOT NULL,     -- JSON
	taken_at      TEXT NOT NULL
)`

// Snapshot is a stream's state at a version, as the snapshots table holds it.
type Snapshot struct {
	StreamID     string
	Version      int64
	StateVersion int
	State        []byte // JSON
	TakenAt      time.Time
}

// Snapshots reads and writes the snapshots table.
type Snapshots struct {
	db *sqlitedb.DB
}

// NewSnapshots creates the snapshots table, and personal_keys that Put reads,
// if they do not exist yet.
func NewSnapshots(ctx context.Context, db *sqlitedb.DB) (*Snapshots, error) {
	for _, schema := range []string{snapshotsSchema, personalKeysSchema} {
		if _, err := db.Write.ExecContext(ctx, schema); err != nil {
			return nil, fmt.Errorf("create the snapshots table: %w", err)
		}
	}
	return &Snapshots{db: db}, nil
}

// Latest returns the stream's snapshot in the shape stateVersion, if it has one.
// A snapshot of another shape is as good as none.
func (s *Snapshots) Latest(ctx context.Context, streamID string, stateVersion int) (Snapshot, bool, error) {
	snap := Snapshot{StreamID: streamID, StateVersion: stateVersion}
	var state, takenAt string
	err := s.db.Read.QueryRowContext(ctx,
		`SELECT version, state, taken_at FROM snapshots WHERE stream_id = ? AND state_version = ?`,
		streamID, stateVersion).Scan(&snap.Version, &state, &takenAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Snapshot{}, false, nil
	}
	if err != nil {
		return Snapshot{}, false, fmt.Errorf("read the snapshot of %s: %w", streamID, err)
	}
	snap.State = []byte(state)
	snap.TakenAt, err = time.Parse(time.RFC3339Nano, takenAt)
	if err != nil {
		return Snapshot{}, false, fmt.Errorf("read the snapshot of %s: taken_at: %w", streamID, err)
	}
	return snap, true, nil
}

// Put stores snap as its stream's snapshot, unless the table holds a later one of
// the same shape: two commands on one account can finish in either order, and the
// older state must not replace the newer. Nor is a snapshot stored once its
// stream's personal data is forgotten: one taken just before, by a command that
// finished after, would bring the name back in the clear.
func (s *Snapshots) Put(ctx context.Context, snap Snapshot) error {
	_, err := s.db.Write.ExecContext(ctx, `
INSERT INTO snapshots (stream_id, version, state_version, state, taken_at)
SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS (SELECT 1 FROM personal_keys WHERE subject = ?1 AND forgotten_at IS NOT NULL)
ON CONFLICT (stream_id) DO UPDATE SET
	version = excluded.version, state_version = excluded.state_version,
	state = excluded.state, taken_at = excluded.taken_at
WHERE excluded.version > snapshots.version OR excluded.state_version <> snapshots.state_version`,
		snap.StreamID, snap.Version, snap.StateVersion, string(snap.State), snap.TakenAt.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("store the snapshot of %s at version %d: %w", snap.StreamID, snap.Version, err)
	}
	return nil
}
