package dashboard

import (
	"context"
	"database/sql"
	"fmt"
)

// Snapshot is everything the page shows but a stream: read once per change of
// the database, in one read transaction (so a lag is head minus a checkpoint of
// the same moment), and sent to every browser as it is. A panel whose table the
// stage does not have is null in JSON, which the page tells from an empty list.
type Snapshot struct {
	Head                int64        `json:"head"`
	Error               string       `json:"error,omitempty"`
	Log                 []LogEvent   `json:"log"`
	Projections         []Projection `json:"projections"`
	Outbox              *Outbox      `json:"outbox"`
	DeadLetters         []DeadLetter `json:"dead_letters"`
	ConsumerDeadLetters []DeadLetter `json:"consumer_dead_letters"`
	ReadModels          []ReadModel  `json:"read_models"`
}

// readSnapshot reads a snapshot on conn. Every query in it is bounded by a LIMIT
// or an index, and it runs once per change, however many browsers watch.
func readSnapshot(ctx context.Context, conn *sql.Conn) (Snapshot, error) {
	tx, err := conn.BeginTx(ctx, nil) // deferred: a read transaction, which never blocks the writer in WAL mode
	if err != nil {
		return Snapshot{}, err
	}
	defer tx.Rollback()
	s, err := readSchema(ctx, tx)
	if err != nil {
		return Snapshot{}, fmt.Errorf("read the schema: %w", err)
	}
	if !s.tables["events"] {
		return Snapshot{Error: "this database has no events table yet (stage 1 keeps a CRUD table; a stage server from stage 2 on creates it when it starts)"}, nil
	}
	var snap Snapshot
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(global_position), 0) FROM events`).Scan(&snap.Head); err != nil {
		return Snapshot{}, fmt.Errorf("read the head: %w", err)
	}
	eventColumns, err := columns(ctx, tx, "events")
	if err != nil {
		return Snapshot{}, err
	}
	if snap.Log, err = readLog(ctx, tx, eventColumns); err != nil {
		return Snapshot{}, err
	}
	if snap.Projections, err = readProjections(ctx, tx, s, snap.Head); err != nil {
		return Snapshot{}, err
	}
	if err := readMessaging(ctx, tx, s, &snap); err != nil {
		return Snapshot{}, err
	}
	if snap.ReadModels, err = readReadModels(ctx, tx, s); err != nil {
		return Snapshot{}, err
	}
	return snap, nil
}

// readMessaging reads the outbox (stage 5) and the dead letters (5 and 6), where they exist.
func readMessaging(ctx context.Context, q querier, s schema, snap *Snapshot) error {
	var err error
	if s.tables["outbox"] {
		if snap.Outbox, err = readOutbox(ctx, q); err != nil {
			return err
		}
	}
	if s.tables["dead_letters"] {
		if snap.DeadLetters, err = readDeadLetters(ctx, q); err != nil {
			return err
		}
	}
	if s.tables["consumer_dead_letters"] {
		if snap.ConsumerDeadLetters, err = readConsumerDeadLetters(ctx, q); err != nil {
			return err
		}
	}
	return nil
}
