package bank

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// A read model is only ever a cache of the log: it can be thrown away and built
// again, and that is how it is repaired (a bug fixed in Apply, a poison event
// the new code can read) and how its shape changes (a new column: a new Version).
// Rebuilding in place would empty the live tables while queries read them. So a
// rebuild is blue-green: it fills the other build from position 0 while the live
// one goes on serving, and when it has caught up with the log, ONE transaction
// points the views at it. No query ever sees a half-built read model: before the
// commit they read the old build, after it the new one, complete. The old build's
// tables are dropped afterwards, in a transaction of their own; a crash before
// that leaves them to the next start (open, in read_model_builds.go).

// ErrRebuildInProgress means a projection is being rebuilt already (HTTP 409).
var ErrRebuildInProgress = errors.New("a rebuild is in progress")

// ErrProjectionStopped means a projection has stopped on an error, and cannot
// be rebuilt until the server starts again (HTTP 503).
var ErrProjectionStopped = errors.New("the projection has stopped")

// Rebuild starts building the projection called name again, from position 0,
// beside its live build, and returns at once; GET /projections shows how far it
// has got, and the switch happens by itself when it has caught up.
func (p *Projector) Rebuild(ctx context.Context, name string) (ProjectionStatus, error) {
	r := p.Projection(name)
	if r == nil {
		return ProjectionStatus{}, fmt.Errorf("%w: %q", ErrUnknownProjection, name)
	}
	head, err := p.store.Head(ctx)
	if err != nil {
		return ProjectionStatus{}, err
	}
	return r.rebuild(ctx, head)
}

// rebuild starts a rebuild, unless one is in progress, and returns the
// projection's status as the rebuild starts (with the log at head).
func (r *ProjectionRun) rebuild(ctx context.Context, head int64) (ProjectionStatus, error) {
	r.rebuilding.Lock() // two requests at once start one rebuild
	defer r.rebuilding.Unlock()
	live, next := r.builds()
	if next != nil {
		return ProjectionStatus{}, fmt.Errorf("%w for projection %s: into build %s, at position %d", ErrRebuildInProgress, r.Name, next.color, next.checkpoint)
	}
	if _, stopped := r.state(); stopped != nil {
		return ProjectionStatus{}, fmt.Errorf("%w: %s (%v); start the server again first", ErrProjectionStopped, r.Name, stopped)
	}
	tx, err := r.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return ProjectionStatus{}, err
	}
	defer tx.Rollback()
	next, err = r.startRebuild(ctx, tx, live)
	if err != nil {
		return ProjectionStatus{}, err
	}
	if err := tx.Commit(); err != nil {
		return ProjectionStatus{}, fmt.Errorf("start the rebuild of %s: %w", r.Name, err)
	}
	r.mu.Lock()
	r.next = next
	started := r.statusLocked(head) // taken with next: a short rebuild may be over before the caller reads it
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default: // woken already
	}
	return started, nil
}

// startRebuild empties the build that is not live, with its dead letters, and
// records it as the one being built, by the code's Version, from position 0.
func (r *ProjectionRun) startRebuild(ctx context.Context, tx *sql.Tx, live build) (*build, error) {
	next := &build{color: other(live.color), version: r.Version}
	if err := r.create(ctx, tx, next.color); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM consumer_dead_letters WHERE consumer = ? AND build = ?`, r.Name, next.color); err != nil {
		return nil, err
	}
	_, err := tx.ExecContext(ctx, `UPDATE read_models SET building = ?, building_version = ? WHERE projection = ?`, next.color, next.version, r.Name)
	if err != nil {
		return nil, fmt.Errorf("record the rebuild: %w", err)
	}
	r.log.Info("projection: rebuild started", "projection", r.Name, "build", next.color, "version", next.version)
	return next, nil
}

// switchTo makes build next live if it has applied the whole log, in one
// transaction, then drops the old build. It reports whether it switched.
func (r *ProjectionRun) switchTo(ctx context.Context, next build) (bool, error) {
	tx, err := r.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	// The head of the log is SELECT COALESCE(MAX(global_position), 0) FROM events;
	// read it in tx: appends wait for this transaction, so it cannot move under you.
	var head int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(global_position), 0) FROM events`).Scan(&head); err != nil {
		return false, fmt.Errorf("head of the log: %w", err)
	}
	if next.checkpoint < head {
		return false, nil // an append came in: catch up with it first
	}
	if err := r.showLive(ctx, tx, next.color); err != nil {
		return false, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE read_models SET live = ?, live_version = ?, building = NULL, building_version = NULL
		WHERE projection = ?`, next.color, next.version, r.Name)
	if err != nil {
		return false, fmt.Errorf("record the switch: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("switch %s to build %s: %w", r.Name, next.color, err)
	}
	old := r.promote(next)
	return true, r.retire(ctx, old)
}

// promote makes next the live build in memory, and returns the one it replaces.
func (r *ProjectionRun) promote(next build) build {
	r.mu.Lock()
	old := r.live
	r.live, r.next = next, nil
	r.mu.Unlock()
	r.advanced.Broadcast()
	r.log.Info("projection: switched builds", "projection", r.Name, "build", next.color, "at", next.checkpoint)
	return old
}

// retire drops the tables and the dead letters of a build that is no longer live.
func (r *ProjectionRun) retire(ctx context.Context, old build) error {
	tx, err := r.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := r.drop(ctx, tx, old.color); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM consumer_dead_letters WHERE consumer = ? AND build = ?`, r.Name, old.color); err != nil {
		return err
	}
	return tx.Commit()
}
