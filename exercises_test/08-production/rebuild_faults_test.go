package production_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// What a rebuild does when something fails: when it starts, while it fills
// the new build, at the switch, and when it drops the old build.

// rebuildingBuild is the build read_models records as being rebuilt ("" for none).
func rebuildingBuild(c *spec.Check, db *sqlitedb.DB, name string) string {
	var b sql.NullString
	c.NoError(db.Read.QueryRow(`SELECT building FROM read_models WHERE projection = ?`, name).Scan(&b), "reading read_models")
	return b.String
}

func TestGuard_ARebuildThatCannotStartLeavesNoTrace(t *testing.T) {
	c := spec.Guard(t, stage, "projection_rebuild.go (Rebuild, rebuild, startRebuild)",
		"a rebuild that cannot be started is an error, records nothing (in memory or in read_models), and gives the write connection back")
	ifNotExists := tallyOf(1)
	ifNotExists.Schema = []string{strings.Replace(ifNotExists.Schema[0], "CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1)}
	for _, bad := range []struct {
		name        string
		projection  bank.Projection
		setup, undo []string
	}{
		{"the events table renamed (the head of the log cannot be read)", tallyOf(1),
			[]string{`ALTER TABLE events RENAME TO events_away`}, []string{`ALTER TABLE events_away RENAME TO events`}},
		{"a trigger refusing new rows of checkpoints (the new build's checkpoint is one)", tallyOf(1),
			[]string{`CREATE TRIGGER no_new BEFORE INSERT ON checkpoints BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`}, []string{`DROP TRIGGER no_new`}},
		{"an old table of the new build pinned by a foreign key (it cannot be dropped), for a projection whose Schema says IF NOT EXISTS (it would keep the old rows)", ifNotExists,
			pinnedTable("tally_green"), []string{`DROP TABLE pins`}},
		{"a trigger refusing to delete dead letters (the new build has an old one)", tallyOf(1),
			[]string{`INSERT INTO consumer_dead_letters (consumer, build, position, type, subject, data, reason, parked_at)
				VALUES ('tally', 'green', 1, 'MoneyTeleported', 'account-1', '', 'an old one', '2024-05-01T10:00:00Z')`,
				`CREATE TRIGGER kept BEFORE DELETE ON consumer_dead_letters BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`}, []string{`DROP TRIGGER kept`}},
		{"a trigger refusing to record the rebuild in read_models", tallyOf(1),
			[]string{`CREATE TRIGGER no_rebuild BEFORE UPDATE OF building ON read_models BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`}, []string{`DROP TRIGGER no_rebuild`}},
		{"a trigger breaking a deferred foreign key (the commit fails)", tallyOf(1),
			[]string{`CREATE TABLE parent (id TEXT PRIMARY KEY)`, `CREATE TABLE child (parent TEXT REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)`,
				`CREATE TRIGGER orphan AFTER UPDATE OF building ON read_models BEGIN INSERT INTO child VALUES ('nobody'); END`}, []string{`DROP TRIGGER orphan`}},
	} {
		c.Doing("Rebuild(tally) with %s", bad.name)
		a := newApp(c, t)
		projector := a.projector(c, bad.projection) // not running: only the start of the rebuild is tried
		execAll(c, a.db.Write, bad.setup...)
		_, err := projector.Rebuild(c.Ctx(), "tally")
		c.That(err != nil, "an error", "no error")
		writeConnectionFree(c, a.db)
		execAll(c, a.db.Write, bad.undo...)
		s := a.statusOf(c, projector, "tally")
		c.That(s.Build == "blue" && s.Rebuild == nil, "blue live and no rebuild in progress", jsonOf(s))
		c.Equal("", rebuildingBuild(c, a.db, "tally"), "the build read_models records as being rebuilt (none)")
		c.Doing("Rebuild(tally) again, with %s undone", bad.name)
		s, err = projector.Rebuild(c.Ctx(), "tally")
		c.NoError(err, "Rebuild")
		c.That(s.Rebuild != nil && s.Rebuild.Build == "green", "a rebuild into green", jsonOf(s))
	}
}

// projectionOver is the projection called name as GET /projections shows it.
func projectionOver(c *spec.Check, api *spec.API, name string) map[string]any {
	r := api.Get("/projections")
	c.Status(r, http.StatusOK)
	var body struct {
		Projections []map[string]any `json:"projections"`
	}
	c.NoError(json.Unmarshal(r.Body, &body), "decoding GET /projections")
	for _, p := range body.Projections {
		if p["name"] == name {
			return p
		}
	}
	c.Fail("a projection called "+name+" on GET /projections", string(r.Body))
	return nil
}

// waitFailedOver waits until GET /projections shows the projection called name failed.
func waitFailedOver(c *spec.Check, api *spec.API, name string) {
	for deadline := time.Now().Add(spec.Patience); projectionOver(c, api, name)["status"] != "failed"; time.Sleep(2 * time.Millisecond) { // polling, bounded
		if time.Now().After(deadline) {
			c.Fail(fmt.Sprintf("%s failed on GET /projections within %s", name, spec.Patience), fmt.Sprint(projectionOver(c, api, name)))
		}
	}
}

func TestGuard_ARebuildOverHTTPSaysWhyItCannotStart(t *testing.T) {
	c := spec.Guard(t, stage, "http_projections.go (rebuildProjection) and projection_rebuild.go (rebuild)",
		"POST /projections/{name}/rebuild answers 503 when the database is busy or the projection has stopped, 409 while a rebuild is in progress, and 500 when its start fails")
	api, db := newAPI(t)
	c.Doing("POST /projections/daily_totals/rebuild while another process holds the database's write lock, past the busy timeout")
	other := holdTheWriteLock(c, t, db)
	r := api.Post("/projections/daily_totals/rebuild", nil)
	c.NoError(other.commit(), "the other process's commit")
	c.Status(r, http.StatusServiceUnavailable)
	c.That(strings.Contains(string(r.Body), "busy"), "a problem saying the database is busy (try again)", r.Describe())
	c.Doing("POST /projections/daily_totals/rebuild when read_models refuses to record it")
	execAll(c, db.Write, `CREATE TRIGGER no_rebuild BEFORE UPDATE OF building ON read_models WHEN NEW.projection = 'daily_totals' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`)
	c.Status(api.Post("/projections/daily_totals/rebuild", nil), http.StatusInternalServerError)
	c.Equal("", rebuildingBuild(c, db, bank.DailyTotalsProjection), "the build read_models records as being rebuilt (none)")
	c.Doing("POST /projections/accounts_by_owner/rebuild twice, the first one's switch refused: it stays in progress")
	execAll(c, db.Write, `CREATE TRIGGER no_switch BEFORE UPDATE OF live ON read_models WHEN NEW.projection = 'accounts_by_owner' BEGIN SELECT RAISE(ABORT, 'no switch today'); END`)
	c.Status(api.Post("/projections/accounts_by_owner/rebuild", nil), http.StatusAccepted)
	waitFailedOver(c, api, bank.AccountsByOwnerProjection)
	r = api.Post("/projections/accounts_by_owner/rebuild", nil)
	c.Status(r, http.StatusConflict)
	c.Doing("POST /projections/account_transactions/rebuild once that projection has stopped on an error (its checkpoint cannot move)")
	execAll(c, db.Write, `CREATE TRIGGER stuck BEFORE UPDATE ON checkpoints WHEN NEW.projection = 'account_transactions' BEGIN SELECT RAISE(ABORT, 'stuck'); END`)
	c.OpenAccount(api, "savings", 0)
	waitFailedOver(c, api, bank.TransactionHistoryProjection)
	r = api.Post("/projections/account_transactions/rebuild", nil)
	c.Status(r, http.StatusServiceUnavailable)
	c.Equal("", rebuildingBuild(c, db, bank.TransactionHistoryProjection), "the build read_models records as being rebuilt (none: a stopped projection is not rebuilt)")
}

// tallyOnTheStory runs a tally projection on the story, waits until it has applied it,
// and returns the projector and the tally's rows.
func tallyOnTheStory(c *spec.Check, t *testing.T, a *app, p bank.Projection) (*bank.Projector, string) {
	log := storyLog(c, a)
	projector := a.projector(c, p)
	runProjector(t, projector)
	c.NoError(<-waitFor(c, projector.Projection(p.Name), log[len(log)-1].Position), "WaitFor(the last event)")
	return projector, tallies(c, a, p.Name)
}

func TestGuard_ASwitchThatFailsLeavesTheOldBuildServing(t *testing.T) {
	c := spec.Guard(t, stage, "projection_rebuild.go", "a switch that fails leaves the old build serving")
	for _, bad := range []struct{ name, setup string }{
		{"the head of the log unreadable in the switch's transaction (a temporary view named events on the write connection)",
			`CREATE TEMP VIEW events AS SELECT 'not a position' AS global_position`},
		{"views that cannot move (a temporary view named tally on the write connection: the new view's name is taken)",
			`CREATE TEMP VIEW tally AS SELECT 'nothing' AS stream`},
		{"a commit that fails (a deferred foreign key, checked at COMMIT)",
			`CREATE TRIGGER orphan AFTER UPDATE OF live ON read_models BEGIN INSERT INTO child VALUES ('nobody'); END`},
	} {
		a := newApp(c, t)
		p, _ := tally("tally", nil)
		projector, rows := tallyOnTheStory(c, t, a, p)
		execAll(c, a.db.Write, `CREATE TABLE parent (id TEXT PRIMARY KEY)`, `CREATE TABLE child (parent TEXT REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)`, bad.setup)
		c.Doing("rebuild the tally with %s", bad.name)
		_, err := projector.Rebuild(c.Ctx(), "tally")
		c.NoError(err, "Rebuild")
		s := waitStopped(c, a, projector, "tally")
		c.That(s.Status == "failed" && s.Error != "" && s.Build == "blue" && s.Rebuild != nil && s.Rebuild.Build == "green",
			"the projection failed, saying why, still on the blue build with the rebuild into green not done (the switch is one transaction, which failed)", jsonOf(s))
		c.Equal(rows, tallies(c, a, "tally"), "the tally's rows, from the blue build")
		c.Equal("table tally_blue, table tally_green, view tally", tables(c, a, "tally"), "the tables (none dropped)")
	}
}

func TestGuard_ASwitchThatMeetsABusyDatabaseStopsAndARestartSwitches(t *testing.T) {
	c := spec.Guard(t, stage, "projection_rebuild.go", "a switch that meets a busy database stops and a restart switches")
	a := newApp(c, t)
	a.projector(c, tallyOf(1))
	v2 := tallyOf(2, "largest")
	second := a.projector(c, v2)
	c.Doing("run version 2 of the tally on an empty log (its rebuild has caught up at once) while another process holds the write lock, past the busy timeout")
	other := holdTheWriteLock(c, t, a.db)
	runProjector(t, second)
	s := waitStopped(c, a, second, "tally")
	c.That(s.Status == "failed" && strings.Contains(s.Error, "locked") && s.Version == 1 && s.Build == "blue" && s.Rebuild != nil && s.Rebuild.Version == 2,
		"the projection failed on the busy database, still on version 1 in blue, the rebuild into green not done", jsonOf(s))
	c.NoError(other.commit(), "the other process's commit")
	c.Doing("start version 2 again, once the lock is free")
	third := a.projector(c, v2)
	runProjector(t, third)
	s = waitSwitched(c, a, third, "tally", "green")
	c.Equal(2, s.Version, "the live build's version")
}

func TestGuard_ARebuildThatFailsStopsAndTheOldBuildServes(t *testing.T) {
	c := spec.Guard(t, stage, "projection_rebuild.go", "a rebuild that fails stops and the old build serves")
	a := newApp(c, t)
	p, _ := tally("tally", nil)
	projector, rows := tallyOnTheStory(c, t, a, p)
	execAll(c, a.db.Write, `CREATE TRIGGER stuck BEFORE UPDATE ON checkpoints WHEN NEW.build = 'green' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`)
	c.Doing("rebuild the tally when the green build's checkpoint cannot move (its batch cannot be applied, nor parked, nor tried again)")
	_, err := projector.Rebuild(c.Ctx(), "tally")
	c.NoError(err, "Rebuild")
	s := waitStopped(c, a, projector, "tally")
	c.That(s.Status == "failed" && strings.Contains(s.Error, "refused by the test") && s.Build == "blue" && s.Rebuild != nil && s.Rebuild.Checkpoint == 0,
		"the projection failed with the rebuild's error, on the blue build, the rebuild at checkpoint 0", jsonOf(s))
	c.Equal(rows, tallies(c, a, "tally"), "the tally's rows, from the blue build")
}

func TestGuard_AnOldBuildThatCannotBeDroppedStopsTheProjectionAfterTheSwitch(t *testing.T) {
	c := spec.Guard(t, stage, "projection_rebuild.go", "an old build that cannot be dropped stops the projection after the switch")
	for _, bad := range []struct {
		name  string
		setup []string
	}{
		{"the blue build's table pinned by a foreign key", pinnedTable("tally_blue")},
		{"the blue build's dead letters refusing to go", []string{
			`CREATE TRIGGER kept BEFORE DELETE ON consumer_dead_letters WHEN OLD.build = 'blue' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`}},
	} {
		a := newApp(c, t)
		spec.InsertEvent(c, a.db, bank.StreamID("0190c6a8-0000-7000-8000-0000000bad00"), 1, "MoneyTeleported", `{}`) // poison: a dead letter in each build
		p, _ := tally("tally", nil)
		projector, rows := tallyOnTheStory(c, t, a, p)
		execAll(c, a.db.Write, bad.setup...)
		c.Doing("rebuild the tally with %s", bad.name)
		_, err := projector.Rebuild(c.Ctx(), "tally")
		c.NoError(err, "Rebuild")
		s := waitStopped(c, a, projector, "tally")
		c.That(s.Status == "failed" && s.Error != "" && s.Build == "green" && s.Rebuild == nil,
			"the projection switched to green (that transaction committed), then failed on dropping the blue build, saying why", jsonOf(s))
		c.Equal(rows, tallies(c, a, "tally"), "the tally's rows, from the green build")
		writeConnectionFree(c, a.db)
	}
}
