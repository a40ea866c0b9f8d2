package bank

import (
	"context"
	"database/sql"
)

// A savepoint is a transaction inside a transaction: SAVEPOINT name marks a
// place, ROLLBACK TO name undoes what was written since, RELEASE name ends it.
// The projector (projector_batch.go) and the statement service (statements.go)
// put each input under one, so that a poison input is undone alone and parked
// in the same transaction, while the rest of the batch stays.

// undo rolls tx back to the savepoint name, and ends the savepoint: what was
// written since it is gone, what was written before it stays.
func undo(ctx context.Context, tx *sql.Tx, name string) error {
	if _, err := tx.ExecContext(ctx, `ROLLBACK TO `+name); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `RELEASE `+name)
	return err
}
