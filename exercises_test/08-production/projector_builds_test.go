package production_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// How a projector sets up its read models when it starts (NewProjector): the
// live build, a rebuild in progress, a build left over by a crash.

// tallyOf is the tally projection at version, with extra columns in its table:
// another shape of its read model.
func tallyOf(version int, columns ...string) bank.Projection {
	p, _ := tally("tally", nil)
	p.Version = version
	table := `CREATE TABLE {tally} (stream TEXT PRIMARY KEY, events INTEGER NOT NULL, deposited INTEGER NOT NULL`
	for _, column := range columns {
		table += ", " + column + " INTEGER NOT NULL DEFAULT 0"
	}
	p.Schema = []string{table + ")"}
	return p
}

// pinnedTable makes table, with a row, impossible to drop: a foreign key of another
// table points at its row (test setup).
func pinnedTable(table string) []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + table + ` (stream TEXT PRIMARY KEY, events INTEGER NOT NULL, deposited INTEGER NOT NULL)`,
		`INSERT OR IGNORE INTO ` + table + ` VALUES ('pinned', 1, 0)`,
		`CREATE TABLE pins (stream TEXT REFERENCES ` + table + ` (stream))`,
		`INSERT INTO pins VALUES ('pinned')`,
	}
}

func TestGuard_AProjectorDoesNotStartOnReadModelsItCannotSetUp(t *testing.T) {
	c := spec.Guard(t, stage, "read_model_builds.go (open, create, drop, readCheckpoint)",
		"NewProjector fails on a read model it cannot set up (a build it cannot create or drop, a checkpoint it cannot read or reset), and its failed transaction gives the write connection back")
	indexed := tallyOf(1)
	indexed.Schema = append(indexed.Schema, `CREATE INDEX {tally}_by_events ON {tally} (events)`)
	for _, bad := range []struct {
		name    string
		before  bank.Projection // started once before, if its Name is set
		rebuild bool            // and a rebuild started by it
		setup   []string
		start   bank.Projection
	}{
		{name: "an index named like the one the build's schema creates (tally_blue_by_events)",
			setup: []string{`CREATE TABLE t (a)`, `CREATE INDEX tally_blue_by_events ON t (a)`}, start: indexed},
		{name: "a table named tally, the name of the read model's view (a temporary one, on the write connection)",
			setup: []string{`CREATE TEMP TABLE tally (a)`}, start: tallyOf(1)},
		{name: "a read model reset by hand (its row of read_models deleted) whose old checkpoint cannot be reset", before: tallyOf(1),
			setup: []string{`DELETE FROM read_models WHERE projection = 'tally'`, `UPDATE checkpoints SET position = 7 WHERE projection = 'tally'`,
				`CREATE TRIGGER kept BEFORE UPDATE ON checkpoints WHEN OLD.projection = 'tally' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`},
			start: tallyOf(1)},
		{name: "a build left over by a crash (green: neither live nor being built) whose table cannot be dropped", before: tallyOf(1),
			setup: pinnedTable("tally_green"), start: tallyOf(1)},
		{name: "a live build whose checkpoint is not a number", before: tallyOf(1),
			setup: []string{`UPDATE checkpoints SET position = 'lost' WHERE projection = 'tally' AND build = 'blue'`}, start: tallyOf(1)},
		{name: "a rebuild in progress whose checkpoint is not a number", before: tallyOf(1), rebuild: true,
			setup: []string{`UPDATE checkpoints SET position = 'lost' WHERE projection = 'tally' AND build = 'green'`}, start: tallyOf(1)},
		{name: "a new Version whose rebuild cannot be recorded in read_models", before: tallyOf(1),
			setup: []string{`CREATE TRIGGER no_rebuild BEFORE UPDATE OF building ON read_models BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`},
			start: tallyOf(2, "largest")},
	} {
		c.Doing("NewProjector on a database with %s", bad.name)
		a := newApp(c, t)
		if bad.before.Name != "" {
			first := a.projector(c, bad.before)
			if bad.rebuild {
				_, err := first.Rebuild(c.Ctx(), bad.before.Name)
				c.NoError(err, "Rebuild (test setup)")
			}
		}
		execAll(c, a.db.Write, bad.setup...)
		_, err := bank.NewProjector(c.Ctx(), a.db, a.store, a.log, bad.start)
		c.That(err != nil, "an error: the projector cannot set its read model up", "no error")
		writeConnectionFree(c, a.db)
	}
	c.Doing("NewProjector while another process holds the database's write lock, past the busy timeout")
	a := newApp(c, t)
	other := holdTheWriteLock(c, t, a.db)
	_, err := bank.NewProjector(c.Ctx(), a.db, a.store, a.log, tallyOf(1))
	c.That(err != nil, "an error (the database is busy)", "no error")
	c.NoError(other.commit(), "the other process's commit")
	c.NoError(func() error { _, err := bank.NewProjector(c.Ctx(), a.db, a.store, a.log, tallyOf(1)); return err }(), "NewProjector once the lock is free")
}

func TestGuard_ANewVersionReplacesTheRebuildOfAnotherOne(t *testing.T) {
	c := spec.Guard(t, stage, "read_model_builds.go (open)",
		"a rebuild in progress by another version of the code is started again from scratch, in the shape of the version that starts")
	a := newApp(c, t)
	a.projector(c, tallyOf(1))
	c.Doing("start version 2 of the tally (a column more), which starts its rebuild into green, then version 3 (another column) before it is done")
	a.projector(c, tallyOf(2, "largest"))
	third := a.projector(c, tallyOf(3, "smallest"))
	s := a.statusOf(c, third, "tally")
	c.That(s.Version == 1 && s.Build == "blue" && s.Rebuild != nil && s.Rebuild.Build == "green" && s.Rebuild.Version == 3 && s.Rebuild.Checkpoint == 0,
		"version 1 live in blue, version 3 being built into green from position 0", jsonOf(s))
	var buildingVersion sql.NullInt64
	c.NoError(a.db.Read.QueryRow(`SELECT building_version FROM read_models WHERE projection = 'tally'`).Scan(&buildingVersion), "reading read_models")
	c.Equal(int64(3), buildingVersion.Int64, "the rebuild's version in read_models (a restart goes on with version 3's rebuild, not 2's)")
	rows, err := a.db.Read.QueryContext(context.Background(), `SELECT smallest FROM tally_green`)
	if err == nil {
		err = rows.Close()
	}
	c.NoError(err, fmt.Sprintf("reading version 3's column %q of the green build (its tables are version 3's, made afresh)", "smallest"))
}
