package production_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// A copy that meets a failure on the way: a read that fails, a write the target
// refuses, a transaction that cannot begin. It stops with the database's own
// error, keeps nothing of the batch or the tables it was writing, leaves the
// write connection free, and never reports a copy it did not make.

// hookedReads is a read connection whose queries go through hook first: an
// error hook returns is the driver's. hook may also change the database, as
// another process would between two reads.
type hookedReads struct {
	driver.Conn
	hook func(query string) error
}

func (h *hookedReads) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if err := h.hook(strings.TrimSpace(query)); err != nil {
		return nil, err
	}
	return h.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
}

func (h *hookedReads) Close() error { return nil } // the connection belongs to the pool it was taken from

// readsThrough is db with its reads made on one connection of its read pool,
// each query through hook first. Writes go to db as before.
func readsThrough(c *spec.Check, t *testing.T, db *sqlitedb.DB, hook func(query string) error) *sqlitedb.DB {
	held, err := db.Read.Conn(c.Ctx())
	c.NoError(err, "taking a read connection (test setup)")
	t.Cleanup(func() { _ = held.Close() })
	var raw driver.Conn
	c.NoError(held.Raw(func(dc any) error { raw = dc.(driver.Conn); return nil }), "reaching the driver's connection (test setup)")
	read := sql.OpenDB(heldConnector{&hookedReads{Conn: raw, hook: hook}})
	read.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = read.Close() })
	return &sqlitedb.DB{Write: db.Write, Read: read}
}

// failFirst is a hook that fails the first query starting with prefix.
func failFirst(prefix string) func(string) error {
	failed := false
	return func(query string) error {
		if !failed && strings.HasPrefix(query, prefix) {
			failed = true
			return errInjected
		}
		return nil
	}
}

// currentAccount is a stream as this release writes it: opened, one deposit.
func currentAccount(id string) []storedRow {
	s := bank.StreamID(id)
	return []storedRow{
		{s, 1, "AccountOpened", 3, `{"account_id":"` + id + `","holder":{"legal_name":"Bob","type":"person"},"kind":"savings","currency":"EUR","overdraft_limit":0}`},
		{s, 2, "MoneyDeposited", 1, `{"amount":500,"reference":"salary"}`},
	}
}

// sourceWithTables is a store of two accounts with two idempotency keys and
// two outbox messages besides the log.
func sourceWithTables(c *spec.Check, t *testing.T) *sqlitedb.DB {
	from := fileDB(t, "source.db")
	storeOn(c, from)
	insertRows(c, from, append(currentAccount(bobID), currentAccount(adaID)...)...)
	execAll(c, from.Write,
		`INSERT INTO idempotency_keys (key, request, stream_id, version, position, recorded_at) VALUES
			('key-1', '{"deposit":500}', 'account-b', 2, 2, '2024-03-31T21:01:00Z'),
			('key-2', '{"deposit":500}', 'account-a', 2, 4, '2024-03-31T21:03:00Z')`,
		`INSERT INTO outbox (message_id, subject, type, payload, recorded_at, next_attempt_at) VALUES
			('m-1', 'account-b', 'bank.money_deposited', '{}', '2024-03-31T21:01:00Z', '2024-03-31T21:01:00Z'),
			('m-2', 'account-a', 'bank.money_deposited', '{}', '2024-03-31T21:03:00Z', '2024-03-31T21:03:00Z')`)
	return from
}

// tableDump is every row of a table, every column as stored, in rowid order.
func tableDump(c *spec.Check, db *sqlitedb.DB, table string) string {
	rows, err := db.Read.Query(`SELECT * FROM ` + table + ` ORDER BY rowid`)
	c.NoError(err, "reading "+table)
	defer rows.Close()
	columns, err := rows.Columns()
	c.NoError(err, "reading the columns of "+table)
	var out [][]any
	for rows.Next() {
		values := make([]any, len(columns))
		pointers := make([]any, len(columns))
		for i := range values {
			pointers[i] = &values[i]
		}
		c.NoError(rows.Scan(pointers...), "scanning a row of "+table)
		for i, v := range values {
			if b, ok := v.([]byte); ok {
				values[i] = string(b)
			}
		}
		out = append(out, values)
	}
	c.NoError(rows.Err(), "reading "+table)
	return table + ": " + jsonText(out)
}

// copyRowsAsTheyAre writes the first n events of from into to unchanged, as a
// copy that stopped after them leaves its target.
func copyRowsAsTheyAre(c *spec.Check, from, to *sqlitedb.DB, n int) {
	for _, r := range eventRows(c, from)[:n] {
		_, err := to.Write.Exec(`INSERT INTO events (global_position, event_id, stream_id, version, event_type, schema_version, data, metadata, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.Position, r.ID, r.Stream, r.Version, r.Type, r.Schema, r.Data, r.Metadata, r.RecordedAt)
		c.NoError(err, "writing an unfinished copy (test setup)")
	}
}

func TestGuard_ACopyThatCannotReadFailsWithTheReadsError(t *testing.T) {
	for _, fault := range []struct {
		read, failing string
		ofTarget      bool // the read fails on the target, else on the source
		unfinished    bool // the target holds the source's first event already
	}{
		{"the source's head", "SELECT COALESCE(MAX(global_position), 0) FROM events", false, false},
		{"the source's log", "SELECT global_position, event_id, stream_id", false, false},
		{"the target's last event (where an earlier run stopped)", "SELECT global_position, event_id FROM events ORDER BY", true, false},
		{"the source's event at the position an earlier run stopped at", "SELECT event_id FROM events WHERE global_position", false, true},
	} {
		c := spec.Guard(t, stage, "copy_and_replace.go (CopyAndReplace) and copy_and_replace_rows.go (readStoredRows, resumeAt)",
			"a copy that cannot read the source or the target fails with the read's error, and copies nothing")
		from, to := fileDB(t, "source.db"), fileDB(t, "copy.db")
		storeOn(c, from)
		insertRows(c, from, currentAccount(bobID)...)
		storeOn(c, to)
		if fault.unfinished {
			copyRowsAsTheyAre(c, from, to, 1)
		}
		before := fingerprint(c, to)
		if fault.ofTarget {
			to = readsThrough(c, t, to, failFirst(fault.failing))
		} else {
			from = readsThrough(c, t, from, failFirst(fault.failing))
		}
		c.Doing("CopyAndReplace while the read of %s fails", fault.read)
		_, err := copyAndReplace(c, from, to)
		c.ErrorIs(err, errInjected, "the read's own error (not a success, nor another error the copy ran into by going on without what it could not read)")
		c.Equal(before, fingerprint(c, to), "the target's events after the failure")
	}
}

func TestGuard_ASourceRowThatCannotBeReadStopsTheCopy(t *testing.T) {
	c := spec.Guard(t, stage, "copy_and_replace_rows.go (readStoredRows)", "a source row the copy cannot read as stored stops the copy: it is not copied with a blank")
	from, to := fileDB(t, "source.db"), fileDB(t, "copy.db")
	execAll(c, from.Write, `CREATE TABLE events (global_position INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT, stream_id TEXT,
			version INTEGER, event_type TEXT, schema_version INTEGER, data TEXT, metadata TEXT, recorded_at TEXT)`,
		`INSERT INTO events (event_id, stream_id, version, event_type, schema_version, data, metadata, recorded_at)
			VALUES ('0190c6a8-0000-7000-8000-00000000e001', 'account-`+bobID+`', 1, 'AccountOpened', 3,
			'{"account_id":"`+bobID+`","holder":{"legal_name":"Bob","type":"person"},"kind":"savings","currency":"EUR","overdraft_limit":0}', '{}', NULL)`)
	c.Doing("CopyAndReplace a source written by another tool, whose one event has no recorded_at (NULL)")
	_, err := copyAndReplace(c, from, to)
	c.That(err != nil && strings.Contains(err.Error(), "recorded_at"), "an error naming recorded_at, the column that cannot be read", fmt.Sprint(err))
	c.Equal(0, len(eventRows(c, to)), "events in the copy")
}

func TestGuard_ASourceThatLosesEventsDuringTheCopyFails(t *testing.T) {
	c := spec.Guard(t, stage, "copy_and_replace.go (CopyAndReplace)", "a copy of a store that changes during the copy fails with ErrSourceChanged")
	from := fileDB(t, "source.db")
	storeOn(c, from)
	insertRows(c, from, currentAccount(bobID)...)
	deleted := false
	source := readsThrough(c, t, from, func(query string) error {
		if deleted || !strings.HasPrefix(query, "SELECT global_position, event_id, stream_id") {
			return nil
		}
		deleted = true
		_, err := from.Write.Exec(`DELETE FROM events`)
		return err
	})
	to := fileDB(t, "copy.db")
	c.Doing("CopyAndReplace while another process deletes the source's events, after the copy read the head and before it read the log")
	_, err := copyAndReplace(c, source, to)
	c.ErrorIs(err, bank.ErrSourceChanged, "an error wrapping ErrSourceChanged (the log the copy found to read is not the log whose head it read)")
	c.Equal(0, len(eventRows(c, to)), "events in the copy")
}

func TestGuard_ACopyIntoATargetWhoseTablesCannotBeCreatedFails(t *testing.T) {
	c := spec.Guard(t, stage, "copy_and_replace_rows.go (createCopySchema) and copy_and_replace.go (CopyAndReplace)",
		"a copy into a target where a table of the bank cannot be created fails, and copies nothing")
	from, to := fileDB(t, "source.db"), fileDB(t, "copy.db")
	storeOn(c, from) // the event store's tables only: no statement service
	insertRows(c, from, currentAccount(bobID)...)
	execAll(c, to.Write, `CREATE TABLE notes (a)`, `CREATE INDEX statements ON notes (a)`)
	c.Doing("CopyAndReplace into a target holding an index called statements, the name of a table the copy creates (the source has none, so no row would go in it)")
	_, err := copyAndReplace(c, from, to)
	c.That(err != nil && strings.Contains(err.Error(), "statements"), "an error naming statements: a server on this copy would not start", fmt.Sprint(err))
	c.Equal(0, len(eventRows(c, to)), "events in the target")
}

func TestGuard_ABatchTheTargetFailsOnLeavesNothingOfIt(t *testing.T) {
	for _, fault := range []struct {
		name   string
		says   string
		inject func(c *spec.Check, t *testing.T, to *sqlitedb.DB) (*sqlitedb.DB, func())
	}{
		{"the target refuses the event at position 2 (a trigger)", "refused by the test", func(c *spec.Check, t *testing.T, to *sqlitedb.DB) (*sqlitedb.DB, func()) {
			execAll(c, to.Write, `CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.global_position = 2 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`)
			return to, func() {}
		}},
		{"the batch's transaction cannot begin (a disk I/O error)", errInjected.Error(), func(c *spec.Check, t *testing.T, to *sqlitedb.DB) (*sqlitedb.DB, func()) {
			wrapped, conn := failingSQLite(c, t, to)
			conn.beforeBegin = func() error { return errInjected }
			return wrapped, func() { conn.beforeBegin = nil }
		}},
	} {
		c := spec.Guard(t, stage, "copy_and_replace.go", "a batch the target fails on leaves nothing of it")
		from := sourceWithTables(c, t)
		to := fileDB(t, "copy.db")
		storeOn(c, to)
		target, heal := fault.inject(c, t, to)
		c.Doing("CopyAndReplace 4 events, one batch, while %s", fault.name)
		_, err := copyAndReplace(c, from, target)
		c.That(err != nil && strings.Contains(err.Error(), fault.says), fmt.Sprintf("an error saying %q: the copy stops at the failure", fault.says), fmt.Sprint(err))
		c.Equal(0, len(eventRows(c, to)), "events in the copy (a batch is one transaction: none of it stays)")
		heal()
		writeConnectionFree(c, target)
	}
}

func TestGuard_TheCopyCarriesTheOtherTablesOverAsTheyAre(t *testing.T) {
	c := spec.Guard(t, stage, "copy_and_replace.go", "the copy carries the other tables over as they are")
	c.KeptBy("copy_and_replace_rows.go (copyTables, copyTable)")
	from := sourceWithTables(c, t)
	// The statement service's tables too: its balances, what it has processed
	// (without which a redelivery after the move would count twice) and what it parked.
	log, _ := spec.NewServerLog()
	statements, err := bank.NewStatements(c.Ctx(), from, log)
	c.NoError(err, "NewStatements (test setup)")
	for _, m := range []bank.IntegrationMessage{openedMsg("s1", adaID, "EUR"), depositMsg("s2", adaID, 500, "EUR"), depositMsg("s3", adaID, 5, "JPY")} {
		_, err := statements.Consume(c.Ctx(), m)
		c.NoError(err, "Consume("+m.ID+") (test setup)")
	}
	to := fileDB(t, "copy.db")
	c.Doing("CopyAndReplace a store with 2 idempotency keys, 2 outbox messages, no dead letter, and a statement of one line, 3 processed messages and 1 parked")
	report, err := copyAndReplace(c, from, to)
	c.NoError(err, "CopyAndReplace")
	c.Equal(`{"consumer_dead_letters":1,"dead_letters":0,"idempotency_keys":2,"outbox":2,"personal_keys":0,"processed_messages":3,"statement_lines":1,"statements":1}`,
		jsonText(report.Tables), "the report's rows per table (every table of the source that a copy carries over)")
	for _, table := range []string{"personal_keys", "idempotency_keys", "outbox", "dead_letters", "statements", "statement_lines", "processed_messages", "consumer_dead_letters"} {
		c.Equal(tableDump(c, from, table), tableDump(c, to, table), "the copy's "+table+", row by row")
	}
}

func TestGuard_ATableTheCopyCannotCarryOverFailsTheCopy(t *testing.T) {
	type fault struct {
		name   string
		says   string
		inject func(c *spec.Check, t *testing.T, from, to *sqlitedb.DB) (source, target *sqlitedb.DB, heal func())
	}
	for _, f := range []fault{
		{"the target refuses a row of outbox (a trigger)", "refused by the test", func(c *spec.Check, t *testing.T, from, to *sqlitedb.DB) (*sqlitedb.DB, *sqlitedb.DB, func()) {
			execAll(c, to.Write, `CREATE TRIGGER refuse BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`)
			return from, to, func() {}
		}},
		{"the target's idempotency_keys cannot be emptied of a row an earlier run left (a trigger)", "refused by the test", func(c *spec.Check, t *testing.T, from, to *sqlitedb.DB) (*sqlitedb.DB, *sqlitedb.DB, func()) {
			execAll(c, to.Write, `INSERT INTO idempotency_keys (key, request, stream_id, version, position, recorded_at) VALUES ('stale', '{}', 'account-x', 1, 1, '2024-01-01T00:00:00Z')`,
				`CREATE TRIGGER keep BEFORE DELETE ON idempotency_keys BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`)
			return from, to, func() {}
		}},
		{"the tables' transaction cannot begin (a disk I/O error)", errInjected.Error(), func(c *spec.Check, t *testing.T, from, to *sqlitedb.DB) (*sqlitedb.DB, *sqlitedb.DB, func()) {
			wrapped, conn := failingSQLite(c, t, to)
			begins := 0
			conn.beforeBegin = func() error {
				if begins++; begins == 2 { // the first is the batch's
					return errInjected
				}
				return nil
			}
			return from, wrapped, func() { conn.beforeBegin = nil }
		}},
		{"the source cannot be asked which tables it has (a disk I/O error)", errInjected.Error(), func(c *spec.Check, t *testing.T, from, to *sqlitedb.DB) (*sqlitedb.DB, *sqlitedb.DB, func()) {
			return readsThrough(c, t, from, failFirst("SELECT count(*) FROM sqlite_master")), to, func() {}
		}},
		{"the source's idempotency_keys cannot be read (a disk I/O error)", errInjected.Error(), func(c *spec.Check, t *testing.T, from, to *sqlitedb.DB) (*sqlitedb.DB, *sqlitedb.DB, func()) {
			return readsThrough(c, t, from, failFirst("SELECT * FROM idempotency_keys")), to, func() {}
		}},
	} {
		c := spec.Guard(t, stage, "copy_and_replace.go", "a table the copy cannot carry over fails the copy")
		c.KeptBy("copy_and_replace_rows.go (copyTables, copyTable)")
		from := sourceWithTables(c, t)
		to := fileDB(t, "copy.db")
		storeOn(c, to)
		source, target, heal := f.inject(c, t, from, to)
		before := tableDump(c, to, "idempotency_keys") + "\n" + tableDump(c, to, "outbox")
		c.Doing("CopyAndReplace a store with idempotency keys and outbox messages while %s", f.name)
		_, err := copyAndReplace(c, source, target)
		c.That(err != nil && strings.Contains(err.Error(), f.says), fmt.Sprintf("an error saying %q: a copy without all of the tables is no copy", f.says), fmt.Sprint(err))
		c.Equal(before, tableDump(c, to, "idempotency_keys")+"\n"+tableDump(c, to, "outbox"), "the copy's tables (they are replaced in one transaction: nothing of it stays)")
		heal()
		writeConnectionFree(c, target)
	}
}
