package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/solutions/02-events"
	"github.com/google/uuid"
)

// Appends, three ways, on the same workloads:
//
//   - the store: EventStore.Append, with its registry, envelopes and checks;
//   - by hand: exactly the statements the store issues (BEGIN IMMEDIATE, the
//     version query, one INSERT per event, COMMIT), prepared once as the store
//     prepares them, written inline, with the work any code storing these events
//     must do: each event encoded with encoding/json, the metadata once per
//     append, a fresh UUIDv7 per event. The gap between the store and this is
//     the kit's own Go code: the registry, the envelopes, the checks;
//   - raw inserts: BEGIN, the INSERTs, COMMIT, nothing else. The floor: what
//     storing the events costs on this schema before any check.

// The store's two statements (solutions/02-events/eventstore_append.go, in
// prepareAppends; TestByHandIssuesTheStoresSQL keeps these the same).
const (
	versionSQL = `SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = CAST(? AS TEXT)`
	insertSQL  = `INSERT INTO events (event_id, stream_id, version, event_type,
			schema_version, data, metadata, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
)

var meta = bank.Metadata{CorrelationID: "bench-correlation", CausationID: "bench-command", UserID: "bench"}

func newV7() string { return uuid.Must(uuid.NewV7()).String() }
func newV4() string { return uuid.NewString() }

// deposits returns n deposit events.
func deposits(n int) []bank.Event {
	events := make([]bank.Event, n)
	for i := range events {
		events[i] = bank.MoneyDeposited{Amount: int64(100 + i)}
	}
	return events
}

// The raw side stores the same JSON as the store, encoded in advance.
var (
	metadataJSON = mustJSON(meta)
	depositJSON  = func() []string {
		out := make([]string, 100)
		for i := range out {
			out[i] = fmt.Sprintf(`{"amount":%d}`, 100+i)
		}
		return out
	}()
)

// storeAppends appends size deposits per operation with EventStore.Append.
func storeAppends(w workload, size int) side {
	return func(b *testing.B) func() error {
		ctx := context.Background()
		store, err := bank.NewEventStore(ctx, w.open(b, "NORMAL"), bank.NewRegistry())
		if err != nil {
			fatal(b, err)
		}
		batch, next := deposits(size), w.appends(size)
		return func() error {
			stream, version := next()
			_, err := store.Append(ctx, stream, version, meta, batch...)
			return err
		}
	}
}

// byHandAppends does per operation what Append does, by hand.
func byHandAppends(w workload, size int) side {
	return func(b *testing.B) func() error {
		db := w.open(b, "NORMAL")
		version, insert := prepare(b, db, versionSQL), prepare(b, db, insertSQL)
		next := w.appends(size)
		return func() error {
			stream, expected := next()
			return appendByHand(db, version, insert, stream, expected, size)
		}
	}
}

// rawInserts inserts size events per operation in one transaction.
func rawInserts(w workload, size int, newID func() string, synchronous string) side {
	return func(b *testing.B) func() error {
		db := w.open(b, synchronous)
		insert := prepare(b, db, insertSQL)
		next := w.appends(size)
		return func() error {
			stream, version := next()
			return insertBatch(db, insert, newID, stream, version, size)
		}
	}
}

// appendByHand is what Append does, without the store: the version query and the
// inserts in one write transaction.
func appendByHand(db *sqlitedb.DB, version, insert *sql.Stmt, stream string, expected int64, size int) error {
	ctx := context.Background()
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var current int64
	if err := tx.StmtContext(ctx, version).QueryRowContext(ctx, stream).Scan(&current); err != nil {
		return err
	}
	if current != expected {
		return fmt.Errorf("%s is at version %d, not %d", stream, current, expected)
	}
	metadata, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	stmt := tx.StmtContext(ctx, insert)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for j := range size {
		data, err := json.Marshal(bank.MoneyDeposited{Amount: int64(100 + j)})
		if err != nil {
			return err
		}
		if _, err := stmt.ExecContext(ctx, newV7(), stream, expected+int64(j)+1, "MoneyDeposited", 1,
			string(data), string(metadata), now); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// insertBatch inserts size events in one transaction, versions after version.
func insertBatch(db *sqlitedb.DB, insert *sql.Stmt, newID func() string, stream string, version int64, size int) error {
	ctx := context.Background()
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := insertEvents(ctx, tx, insert, newID, stream, version, size); err != nil {
		return err
	}
	return tx.Commit()
}

// insertEvents inserts size deposits inside tx, versions after version, as the
// store would store them.
func insertEvents(ctx context.Context, tx *sql.Tx, insert *sql.Stmt, newID func() string, stream string, version int64, size int) error {
	stmt := tx.StmtContext(ctx, insert)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for j := range size {
		_, err := stmt.ExecContext(ctx, newID(), stream, version+int64(j)+1, "MoneyDeposited", 1,
			depositJSON[j%len(depositJSON)], metadataJSON, now)
		if err != nil {
			return err
		}
	}
	return nil
}

// prepare prepares query on the write connection, for the whole benchmark.
func prepare(b *testing.B, db *sqlitedb.DB, query string) *sql.Stmt {
	stmt, err := db.Write.Prepare(query)
	if err != nil {
		fatal(b, err)
	}
	b.Cleanup(func() { stmt.Close() })
	return stmt
}
