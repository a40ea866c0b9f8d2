package bank

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// A query asks a read model one question and changes nothing. A read model lags
// behind the log a little (eventual consistency), so a client that has just
// changed something and wants to see it passes the position its command answered
// (min_position): the query waits, at most MaxReadWait, until the read model has
// got there. When it cannot, the client is told which projection is behind and by
// how much, rather than being served a stale answer as if it were current.

// Query is what every query on a read model has: the position of the log its
// answer must reflect at least (0: whatever the read model holds now).
type Query interface {
	AtLeast() int64
}

// QueryFunc answers one kind of query.
type QueryFunc[Q Query, R any] func(ctx context.Context, q Q) (R, error)

// consistent answers a query from the read model of run, after waiting for the
// position the query asks for.
func consistent[Q Query, R any](p *Projector, run *ProjectionRun, read QueryFunc[Q, R]) QueryFunc[Q, R] {
	return func(ctx context.Context, q Q) (R, error) {
		if q.AtLeast() != 0 {
			if err := run.WaitFor(ctx, q.AtLeast()); err != nil {
				var none R
				return none, behind(ctx, p, run, q.AtLeast(), err)
			}
		}
		return read(ctx, q)
	}
}

// readFrom makes a query of a function that reads a read model from db.
func readFrom[Q Query, R any](db *sql.DB, read func(context.Context, *sql.DB, Q) (R, error)) QueryFunc[Q, R] {
	return func(ctx context.Context, q Q) (R, error) { return read(ctx, db, q) }
}

// ProjectionBehindError says which read model could not answer as of the position
// a query asked for, and where it stands (HTTP 503).
type ProjectionBehindError struct {
	MinPosition int64
	Projection  ProjectionStatus
	cause       error
}

func (e *ProjectionBehindError) Error() string { return e.cause.Error() }

func (e *ProjectionBehindError) Unwrap() error { return e.cause }

// behind adds where the projection stands to WaitFor's error.
func behind(ctx context.Context, p *Projector, run *ProjectionRun, minPosition int64, err error) error {
	if !errors.Is(err, ErrProjectionBehind) {
		return err // the request was cancelled, say
	}
	head, headErr := p.store.Head(ctx)
	if headErr != nil {
		return fmt.Errorf("%w (and the head of the log: %v)", err, headErr)
	}
	return &ProjectionBehindError{MinPosition: minPosition, Projection: run.status(head), cause: err}
}
