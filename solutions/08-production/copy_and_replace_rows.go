package bank

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

// What copy_and_replace.go needs around its loop: the rows as they are stored,
// where an unfinished copy left off, and the tables that are copied as they are.

// storedRow is a row of the events table, exactly as it is stored.
type storedRow struct {
	position      int64
	eventID       string
	streamID      string
	version       int64
	eventType     string
	schemaVersion int
	data          string
	metadata      string
	recordedAt    string
}

// readStoredRows reads up to limit rows of from's log after a position, in order.
func readStoredRows(ctx context.Context, from *sqlitedb.DB, after int64, limit int) ([]storedRow, error) {
	rows, err := from.Read.QueryContext(ctx, `SELECT global_position, event_id, stream_id, version, event_type, schema_version, data, metadata, recorded_at
		FROM events WHERE global_position > ? ORDER BY global_position LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read the source's log after %d: %w", after, err)
	}
	defer rows.Close()
	var out []storedRow
	for rows.Next() {
		var r storedRow
		if err := rows.Scan(&r.position, &r.eventID, &r.streamID, &r.version, &r.eventType, &r.schemaVersion, &r.data, &r.metadata, &r.recordedAt); err != nil {
			return nil, fmt.Errorf("read the source's log after %d: %w", after, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// insertCopy writes row into the copy's events table, at its own position.
func insertCopy(ctx context.Context, tx *sql.Tx, row storedRow) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO events (global_position, event_id, stream_id, version, event_type, schema_version, data, metadata, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, row.position, row.eventID, row.streamID, row.version, row.eventType, row.schemaVersion, row.data, row.metadata, row.recordedAt)
	if err != nil {
		return fmt.Errorf("copy the event at position %d: %w", row.position, err)
	}
	return nil
}

// createCopySchema creates in to the tables a copy writes.
func createCopySchema(ctx context.Context, to *sqlitedb.DB) error {
	for _, schema := range []string{eventsSchema, personalKeysSchema, idempotencySchema, outboxSchema, outboxIndex, deadLettersSchema,
		statementsSchema, statementLinesSchema, processedMessagesSchema, consumerDeadLettersSchema} {
		if _, err := to.Write.ExecContext(ctx, schema); err != nil {
			return fmt.Errorf("create the copy's tables: %w", err)
		}
	}
	return nil
}

// resumeAt is the position up to which to already holds a copy of from: 0 for a
// new copy. A to whose last event is not the event of from at that position is
// not a copy of from, and is refused.
func resumeAt(ctx context.Context, from, to *sqlitedb.DB) (int64, error) {
	var head int64
	var lastID string
	err := to.Read.QueryRowContext(ctx, `SELECT global_position, event_id FROM events ORDER BY global_position DESC LIMIT 1`).Scan(&head, &lastID)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read the copy's head: %w", err)
	}
	var sourceID string
	err = from.Read.QueryRowContext(ctx, `SELECT event_id FROM events WHERE global_position = ?`, head).Scan(&sourceID)
	if err != nil && err != sql.ErrNoRows {
		return 0, fmt.Errorf("read the source at position %d: %w", head, err)
	}
	if sourceID != lastID {
		return 0, fmt.Errorf("the target already holds events that are not a copy of the source (position %d is %s there, %q here): copy into a new file", head, lastID, sourceID)
	}
	return head, nil
}

// copiedTables are the tables a copy carries over as they are: what the bank
// and its statement service remember besides the log. Read models and their
// checkpoints are not among them: the server builds them again from the copy.
var copiedTables = []string{"personal_keys", "idempotency_keys", "outbox", "dead_letters",
	"statements", "statement_lines", "processed_messages", "consumer_dead_letters"}

// copyTables replaces each of copiedTables in to with the rows of from, in one
// transaction, and counts them into copied. A table from does not have is skipped.
func copyTables(ctx context.Context, from, to *sqlitedb.DB, copied map[string]int64) error {
	tx, err := to.Write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, table := range copiedTables {
		var exists int
		if err := from.Read.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&exists); err != nil {
			return err
		}
		if exists == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table); err != nil {
			return fmt.Errorf("empty %s in the copy: %w", table, err)
		}
		n, err := copyTable(ctx, from, tx, table)
		if err != nil {
			return fmt.Errorf("copy %s: %w", table, err)
		}
		copied[table] = n
	}
	return tx.Commit()
}

// copyTable inserts every row of from's table into the same table through tx.
func copyTable(ctx context.Context, from *sqlitedb.DB, tx *sql.Tx, table string) (int64, error) {
	rows, err := from.Read.QueryContext(ctx, `SELECT * FROM `+table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	columns, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	insert := fmt.Sprintf(`INSERT INTO %s (%s) VALUES (%s)`, table, strings.Join(columns, ", "), strings.TrimSuffix(strings.Repeat("?, ", len(columns)), ", "))
	values := make([]any, len(columns))
	pointers := make([]any, len(columns))
	for i := range values {
		pointers[i] = &values[i]
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(pointers...); err != nil {
			return n, err
		}
		if _, err := tx.ExecContext(ctx, insert, values...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}
