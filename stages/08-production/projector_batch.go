package bank

import (
	"context"
	"database/sql"
	"fmt"
)

// A batch is applied in ONE transaction: the rows of all its events, and the
// checkpoint past the last of them. Writing 100 events in one commit instead of
// 100 commits is most of what makes a projection fast (make bench); and because
// the checkpoint is in the same transaction, a crash loses the batch and the
// checkpoint together, and the projection simply applies the batch again.
//
// Within the batch, each event has a SAVEPOINT of its own: an event the
// projection cannot apply (a poison event) rolls back to its savepoint, which
// undoes its half-written rows and nothing else, and is parked in
// consumer_dead_letters in the same transaction. The checkpoint moves past it
// only because it is parked: nothing is skipped without a trace.

// applyBatch applies events to build b in one transaction. It skips the events
// at or below the build's checkpoint as the transaction reads it (they are
// applied already: a replay, or another server on the same database), parks
// the ones that cannot be applied, and moves the checkpoint to the last event.
// A transient error (a busy database) fails the whole batch, to be tried again.
func (r *ProjectionRun) applyBatch(ctx context.Context, b build, events []LoggedEvent) error {
	tx, err := r.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op after Commit
	// readCheckpoint(ctx, tx, r.Name, b.color) is the checkpoint as this
	// transaction sees it; r.applyOne (below, also 6.2) applies one event;
	// saveCheckpoint(ctx, tx, r.Name, b.color, position) moves the checkpoint;
	// r.advance(b.color, position) tells the waiting queries, after the commit.
	rm := r.on(tx, b.color) // Apply's view of the build's tables
	checkpoint, err := readCheckpoint(ctx, tx, r.Name, b.color)
	if err != nil {
		return err
	}
	last := checkpoint
	for _, e := range events {
		if e.Position <= last {
			continue // applied already
		}
		if err := r.applyOne(ctx, tx, rm, b.color, e); err != nil {
			return err
		}
		last = e.Position
	}
	if last > checkpoint {
		if err := saveCheckpoint(ctx, tx, r.Name, b.color, last); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("event %d: commit: %w", last, err)
		}
	}
	r.advance(b.color, last) // also when another server had applied them all
	return nil
}

// applyOne applies one event under a savepoint; a poison event is rolled back
// to the savepoint and parked. Only a transient error, or a failure to park,
// is returned.
func (r *ProjectionRun) applyOne(ctx context.Context, tx *sql.Tx, rm ReadModelTx, color string, e LoggedEvent) error {
	// SAVEPOINT name and RELEASE name are plain SQL statements on tx; undo(ctx,
	// tx, name) rolls back to a savepoint (savepoint.go). e.Err is set for a row
	// that did not decode. isTransient(err) tells a busy database from a poison
	// event; r.park(ctx, tx, color, e, why) parks e.
	if _, err := tx.ExecContext(ctx, `SAVEPOINT event`); err != nil {
		return err
	}
	problem := e.Err
	if problem == nil {
		problem = r.Apply(ctx, rm, e.Envelope)
	}
	switch {
	case problem == nil:
		_, err := tx.ExecContext(ctx, `RELEASE event`)
		return err
	case isTransient(problem):
		return fmt.Errorf("event %d (%s of %s): %w", e.Position, e.Type, e.StreamID, problem)
	}
	if err := undo(ctx, tx, "event"); err != nil {
		return err
	}
	return r.park(ctx, tx, color, e, problem)
}

// saveCheckpoint moves build color's checkpoint to position, on tx.
func saveCheckpoint(ctx context.Context, tx *sql.Tx, projection, color string, position int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE checkpoints SET position = ? WHERE projection = ? AND build = ?`, position, projection, color)
	if err != nil {
		return fmt.Errorf("event %d: checkpoint: %w", position, err)
	}
	return nil
}
