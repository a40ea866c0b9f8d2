package bank

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

// Copy-and-replace (Greg Young, Versioning in an Event Sourced System): when old
// versions pile up, the log is copied into a new store with every event written
// under its current name at its current schema version, and the server moves to
// the copy. The old store is left exactly as it was: it is the record of what was
// written, and the way back. Only an event's data changes; its position, id,
// stream, version, metadata and time are copied as they are, so the copy is the
// same log in today's words, and the old upcasters can go once no store needs them.

// CopyReport says what a copy did.
type CopyReport struct {
	Copied int64            `json:"copied"` // events this run wrote into the copy
	Upcast int64            `json:"upcast"` // of them, stored under an older name or schema version
	Head   int64            `json:"head"`   // the last position the copy holds: the source's head
	Tables map[string]int64 `json:"tables"` // rows copied as they are, per table
}

// CopyBatch is how many events one transaction of the copy writes.
const CopyBatch = 500

// ErrSourceChanged means events were appended to the source during a copy: the
// server was still running on it. Stop it and run the copy again.
var ErrSourceChanged = errors.New("the source store changed during the copy")

// CopyAndReplace copies the bank in from into to. to is new, or holds what an
// earlier run of the copy left when it stopped: the copy goes on from there.
// Nothing is written to from.
func CopyAndReplace(ctx context.Context, from, to *sqlitedb.DB) (CopyReport, error) {
	registry := NewRegistry()
	if err := createCopySchema(ctx, to); err != nil {
		return CopyReport{}, err
	}
	source := &EventStore{db: from, registry: registry} // reads only: nothing is created in from
	head, err := source.Head(ctx)
	if err != nil {
		return CopyReport{}, err
	}
	done, err := resumeAt(ctx, from, to)
	if err != nil {
		return CopyReport{}, err
	}
	report := CopyReport{Head: done, Tables: map[string]int64{}}
	for done < head {
		rows, err := readStoredRows(ctx, from, done, CopyBatch)
		if err != nil {
			return report, err
		}
		if len(rows) == 0 {
			break
		}
		upcast, err := copyBatch(ctx, to, registry, rows)
		if err != nil {
			return report, err
		}
		done = rows[len(rows)-1].position
		report.Copied, report.Upcast, report.Head = report.Copied+int64(len(rows)), report.Upcast+upcast, done
	}
	if err := copyTables(ctx, from, to, report.Tables); err != nil {
		return report, err
	}
	if after, err := source.Head(ctx); err != nil || after != head {
		return report, errors.Join(err, fmt.Errorf("%w: its head moved from %d to %d; stop the server on it and run the copy again (it goes on from %d)", ErrSourceChanged, head, after, done))
	}
	return report, nil
}

// copyBatch writes rows into to in one transaction, each under its current name
// at its current schema version, and says how many of them that changed.
func copyBatch(ctx context.Context, to *sqlitedb.DB, registry *Registry, rows []storedRow) (upcast int64, err error) {
	tx, err := to.Write.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	for _, row := range rows {
		e, err := registry.Decode(row.eventType, row.schemaVersion, []byte(row.data))
		if err != nil {
			return 0, fmt.Errorf("event at position %d does not decode (fix its upcaster, then run the copy again): %w", row.position, err)
		}
		name, version, data, err := registry.Encode(e)
		if err != nil {
			return 0, err
		}
		if name != row.eventType || version != row.schemaVersion {
			upcast++
		}
		copied := row
		copied.eventType, copied.schemaVersion, copied.data = name, version, string(data)
		if err := insertCopy(ctx, tx, copied); err != nil {
			return 0, err
		}
	}
	return upcast, tx.Commit()
}
