package bank

import (
	"context"
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
//   - applies the log in batches, one transaction per batch, with its checkpoint
//     (the position of the last event applied) written in the same transaction:
//     the read model holds exactly the events up to the checkpoint, even after a
//     crash (projector_batch.go).
//   - is idempotent: an event at or below the checkpoint is skipped, so an event
//     handed over twice (a replay, a second server on the same file) counts once.
//   - parks a poison event, one it cannot apply, in consumer_dead_letters with the
//     reason, and goes on (consumer_dead_letters.go). It retries a transient
//     failure, a busy database, a few times with backoff (projector_retry.go).
//   - keeps two builds of its read model, blue and green: queries read the live
//     one through views; a rebuild fills the other from position 0 and takes over
//     in one transaction once it has caught up (projection_rebuild.go).
//   - wakes when the event store appends (a signal), and polls every PollInterval
//     for appends it was not told of (another process, such as cmd/migrate).
//
// Read models lag behind the log by a little: they are eventually consistent.
// WaitFor is how a query makes that visible instead of silently stale.

// Projection builds one read model.
type Projection struct {
	Name string // the name of its views, its checkpoint, and of the projection in GET /projections
	// Version is the shape of its read model. Raise it with a change of the
	// tables or of what Apply writes: the server then rebuilds the read model
	// beside the old one, which it serves until the new one has caught up.
	Version int
	// Tables are the tables of its read model. Each build has its own copy
	// (accounts_by_owner_blue); queries read the live one through a view with
	// the table's own name (accounts_by_owner).
	Tables []string
	// Schema are the CREATE statements of its tables and indexes, with each
	// table's name in braces: CREATE TABLE {accounts_by_owner} (...).
	Schema []string
	// Apply writes what one event means to the read model, on the projector's
	// transaction. It ignores the events its read model does not need. An error
	// parks the event, unless it is a transient one (a busy database).
	Apply func(ctx context.Context, rm ReadModelTx, e Envelope) error
	// BatchSize is how many events one transaction applies (0: DefaultBatchSize).
	BatchSize int
}

const (
	// PollInterval is how often an idle projection looks for events it was not told of.
	PollInterval = time.Second
	// MaxReadWait bounds how long a query waits for its read model (min_position).
	MaxReadWait = 2 * time.Second
	// DefaultBatchSize is how many events a projection applies in one transaction.
	DefaultBatchSize = 100
)

// ErrProjectionBehind means a read model has not reached the position a query asked
// for, within MaxReadWait, or never will: its projection has stopped (HTTP 503).
var ErrProjectionBehind = errors.New("the read model has not caught up")

// ErrUnknownProjection means no projection has that name (HTTP 404).
var ErrUnknownProjection = errors.New("unknown projection")

// Projector runs projections.
type Projector struct {
	store *EventStore
	runs  []*ProjectionRun
}

// NewProjector creates the projector's tables and each projection's live build,
// and reads how far each build has got. A projection whose Version is newer than
// its live build's starts a rebuild (projection_rebuild.go).
func NewProjector(ctx context.Context, db *sqlitedb.DB, store *EventStore, log *slog.Logger, projections ...Projection) (*Projector, error) {
	for _, schema := range []string{readModelsSchema, checkpointsSchema, consumerDeadLettersSchema} {
		if _, err := db.Write.ExecContext(ctx, schema); err != nil {
			return nil, fmt.Errorf("create the projector's tables: %w", err)
		}
	}
	p := &Projector{store: store}
	for _, proj := range projections {
		if proj.BatchSize < 1 {
			proj.BatchSize = DefaultBatchSize
		}
		r := &ProjectionRun{Projection: proj, store: store, db: db, log: log, advanced: newSignal(), wake: make(chan struct{}, 1)}
		if err := r.open(ctx); err != nil {
			return nil, fmt.Errorf("projection %s: %w", proj.Name, err)
		}
		p.runs = append(p.runs, r)
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
	advanced *signal       // broadcast when a checkpoint moves, at a switch, and when the run stops
	wake     chan struct{} // a rebuild was asked for

	rebuilding sync.Mutex // held while a rebuild is being started

	mu      sync.Mutex
	live    build  // the build queries read
	next    *build // the build a rebuild fills, nil when there is none
	stopped error  // why it stopped; nil while it runs
	failed  bool   // it stopped on an error, not because the server is stopping
}

// run follows the log until ctx ends or the projection fails for good.
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

// follow applies the log to the live build and to a rebuild, if there is one,
// a batch at a time; when both have read everything, it waits for an append, a
// rebuild, the poll, or the end.
func (r *ProjectionRun) follow(ctx context.Context) error {
	for {
		appended := r.store.Appended() // before reading: an append after this closes it
		moved, err := r.step(ctx)
		if err != nil {
			return err
		}
		if moved {
			continue // there may be more: read on before waiting
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-appended:
		case <-r.wake:
		case <-time.After(PollInterval):
		}
	}
}

// step applies one batch to the live build (unless an older version of the
// code built it: that one is served as it is until its rebuild takes over) and
// one to the rebuild, and switches to the rebuild once it has caught up. It
// reports whether anything moved.
func (r *ProjectionRun) step(ctx context.Context) (bool, error) {
	live, next := r.builds()
	moved := false
	if live.version == r.Version {
		n, err := r.catchUp(ctx, live)
		if err != nil {
			return false, err
		}
		moved = n > 0
	}
	if next == nil {
		return moved, nil
	}
	n, err := r.catchUp(ctx, *next)
	if err != nil {
		return false, err
	}
	if n > 0 {
		return true, nil
	}
	switched, err := r.switchTo(ctx, *next)
	return moved || switched, err
}

// catchUp reads the next batch of the log after b's checkpoint and applies it to
// b; a transient failure is tried again. It returns how many events it read.
func (r *ProjectionRun) catchUp(ctx context.Context, b build) (int, error) {
	events, err := r.store.ReadLog(ctx, b.checkpoint, r.BatchSize)
	if err != nil || len(events) == 0 {
		return 0, err
	}
	apply := func() error { return r.applyBatch(ctx, b, events) }
	if err = apply(); isTransient(err) {
		err = r.retryTransient(ctx, apply, err)
	}
	return len(events), err
}

// Handle applies one event to the live build, as the projection's goroutine
// applies each event of the log; tests call it to apply the events they are
// given. An event at or below the checkpoint changes nothing.
func (r *ProjectionRun) Handle(ctx context.Context, e Envelope) error {
	live, _ := r.builds()
	return r.applyBatch(ctx, live, []LoggedEvent{{Envelope: e}})
}

// builds are the live build and the rebuild (nil when there is none), as far as they have got.
func (r *ProjectionRun) builds() (build, *build) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.next == nil {
		return r.live, nil
	}
	next := *r.next
	return r.live, &next
}

// advance records that build color has applied the log up to checkpoint.
func (r *ProjectionRun) advance(color string, checkpoint int64) {
	r.mu.Lock()
	switch {
	case r.live.color == color:
		r.live.checkpoint = checkpoint
	case r.next != nil && r.next.color == color:
		r.next.checkpoint = checkpoint
	}
	r.mu.Unlock()
	r.advanced.Broadcast()
}

// state is the live build's checkpoint, and why the run stopped (nil while it runs).
func (r *ProjectionRun) state() (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.live.checkpoint, r.stopped
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
