package bank

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

// A projection builds one read model from the log: it reads every event in
// position order and applies it to its tables. The Projector runs each
// projection in a goroutine of its own, which:
//
//   - remembers how far it got: its checkpoint, the position of the last event it
//     applied, in the table checkpoints. An event's rows and the checkpoint past
//     it are written in ONE transaction, so they are never apart: the read model
//     holds exactly the events up to the checkpoint, even after a crash.
//   - wakes when the event store appends (a signal), and polls every PollInterval
//     for appends it was not told of (another process, such as cmd/migrate).
//   - stops when an event cannot be applied, and says so on GET /projections. It
//     tries that event again when the server starts again; stage 6 shows what to
//     do instead (park the poison event, go on with the rest).
//
// Read models lag behind the log by a little: they are eventually consistent.
// WaitFor is how a query makes that visible instead of silently stale.

// Projection builds one read model.
type Projection struct {
	Name    string   // the name of its checkpoint, and of the projection in GET /projections
	Version int      // of its read model's shape: stage 6 builds a new version beside the old one
	Schema  []string // CREATE statements of its tables and their indexes
	// Apply writes what one event means to the read model, on the projector's
	// transaction. It ignores the events its read model does not need.
	Apply func(ctx context.Context, tx *sql.Tx, e Envelope) error
}

const checkpointsSchema = `
CREATE TABLE IF NOT EXISTS checkpoints (
	projection TEXT PRIMARY KEY,
	position   INTEGER NOT NULL
)`

const (
	// PollInterval is how often an idle projection looks for events it was not told of.
	PollInterval = time.Second
	// MaxReadWait bounds how long a query waits for its read model (min_position).
	MaxReadWait = 2 * time.Second
	// readBatch is how many events a projection reads from the log at a time.
	readBatch = 100
)

// ErrProjectionBehind means a read model has not reached the position a query asked
// for, within MaxReadWait, or never will: its projection has stopped (HTTP 503).
var ErrProjectionBehind = errors.New("the read model has not caught up")

// Projector runs projections.
type Projector struct {
	store *EventStore
	runs  []*ProjectionRun
}

// NewProjector creates the checkpoints table and each projection's tables, and
// reads each one's checkpoint (0 for a new projection: it starts at the beginning).
func NewProjector(ctx context.Context, db *sqlitedb.DB, store *EventStore, log *slog.Logger, projections ...Projection) (*Projector, error) {
	if _, err := db.Write.ExecContext(ctx, checkpointsSchema); err != nil {
		return nil, fmt.Errorf("create checkpoints table: %w", err)
	}
	p := &Projector{store: store}
	for _, proj := range projections {
		for _, statement := range proj.Schema {
			if _, err := db.Write.ExecContext(ctx, statement); err != nil {
				return nil, fmt.Errorf("projection %s: create its read model: %w", proj.Name, err)
			}
		}
		if _, err := db.Write.ExecContext(ctx, `INSERT OR IGNORE INTO checkpoints (projection, position) VALUES (?, 0)`, proj.Name); err != nil {
			return nil, fmt.Errorf("projection %s: checkpoint: %w", proj.Name, err)
		}
		var checkpoint int64
		err := db.Write.QueryRowContext(ctx, `SELECT position FROM checkpoints WHERE projection = ?`, proj.Name).Scan(&checkpoint)
		if err != nil {
			return nil, fmt.Errorf("projection %s: checkpoint: %w", proj.Name, err)
		}
		p.runs = append(p.runs, &ProjectionRun{Projection: proj, store: store, db: db, log: log,
			advanced: newSignal(), checkpoint: checkpoint})
	}
	return p, nil
}

// Run runs every projection, each in its own goroutine, until ctx ends; it
// returns once all of them have stopped.
func (p *Projector) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, r := range p.runs {
		wg.Go(func() { r.run(ctx) })
	}
	wg.Wait()
}

// Projection is the run of the projection called name, or nil.
func (p *Projector) Projection(name string) *ProjectionRun {
	for _, r := range p.runs {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// ProjectionRun is one projection at work, and what it has got to.
type ProjectionRun struct {
	Projection
	store    *EventStore
	db       *sqlitedb.DB
	log      *slog.Logger
	advanced *signal // broadcast when the checkpoint moves, and when the run stops

	mu         sync.Mutex
	checkpoint int64
	stopped    error // why it stopped; nil while it runs
	failed     bool  // it stopped on an error, not because the server is stopping
}

// run follows the log until ctx ends or an event cannot be applied.
func (r *ProjectionRun) run(ctx context.Context) {
	err := r.follow(ctx)
	failed := ctx.Err() == nil
	if failed { // logged first: whoever is woken below may look for it
		r.log.Error("projection stopped", "projection", r.Name, "error", err)
	}
	r.mu.Lock()
	r.failed = failed
	r.stopped = err
	r.mu.Unlock()
	r.advanced.Broadcast() // whoever waits for this projection must not wait in vain
}

// follow reads the log after the checkpoint and applies it, batch by batch; when
// it has read everything, it waits for an append, or the poll, or the end.
func (r *ProjectionRun) follow(ctx context.Context) error {
	for {
		appended := r.store.Appended() // before reading: an append after this closes it
		checkpoint, _ := r.state()
		events, err := r.store.ReadAll(ctx, checkpoint, readBatch)
		if err != nil {
			return err
		}
		for _, e := range events {
			if err := r.Handle(ctx, e); err != nil {
				return err
			}
		}
		if len(events) > 0 {
			continue // there may be more: read on before waiting
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-appended:
		case <-time.After(PollInterval):
		}
	}
}

// Handle applies one event and moves the checkpoint past it, in one transaction.
// The projection's goroutine calls it for each event of the log, in order; tests
// call it to apply the events they are given.
func (r *ProjectionRun) Handle(ctx context.Context, e Envelope) error {
	tx, err := r.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op after Commit
	if err := r.Apply(ctx, tx, e); err != nil {
		return fmt.Errorf("event %d (%s of %s): %w", e.Position, e.Type, e.StreamID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE checkpoints SET position = ? WHERE projection = ?`, e.Position, r.Name); err != nil {
		return fmt.Errorf("event %d: checkpoint: %w", e.Position, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("event %d: commit: %w", e.Position, err)
	}
	r.mu.Lock()
	r.checkpoint = e.Position
	r.mu.Unlock()
	r.advanced.Broadcast()
	return nil
}

// state is the checkpoint, and why the run stopped (nil while it runs).
func (r *ProjectionRun) state() (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.checkpoint, r.stopped
}

// WaitFor returns once the projection has applied the log up to position: a
// client that passes the position its command answered reads its own write. It
// waits at most MaxReadWait, and not at all once the projection has stopped; then
// the error wraps ErrProjectionBehind, and says why.
func (r *ProjectionRun) WaitFor(ctx context.Context, position int64) error {
	// r.state() is the checkpoint and why the run stopped (nil while it runs).
	// r.advanced.Changed() is a channel closed when either changes: take it BEFORE
	// looking at the state, so that a change in between is not missed.
	timeout := time.NewTimer(MaxReadWait)
	defer timeout.Stop()
	for {
		advanced := r.advanced.Changed()
		checkpoint, stopped := r.state()
		switch {
		case checkpoint >= position:
			return nil
		case stopped != nil:
			return fmt.Errorf("%w: projection %s has stopped at position %d: %v", ErrProjectionBehind, r.Name, checkpoint, stopped)
		}
		select {
		case <-advanced:
		case <-timeout.C:
			return fmt.Errorf("%w: projection %s is at position %d, not yet at %d, after %s",
				ErrProjectionBehind, r.Name, checkpoint, position, MaxReadWait)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
