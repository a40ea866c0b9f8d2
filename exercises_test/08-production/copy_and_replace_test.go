package production_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/exercise"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// Task 7.4: copy-and-replace writes the same log, every event at its current
// name and version, into a new store, and leaves the old one as it was.

// copyAndReplace is bank.CopyAndReplace; an unfinished task's stub error stops
// the test with the usual "not done yet" message, whatever the test expected.
func copyAndReplace(c *spec.Check, from, to *sqlitedb.DB) (bank.CopyReport, error) {
	report, err := bank.CopyAndReplace(c.Ctx(), from, to)
	if _, todo := exercise.IsTodo(err); todo {
		c.NoError(err, "CopyAndReplace")
	}
	return report, err
}

// eventRow is a row of the events table, every column as stored.
type eventRow struct {
	Position                   int64
	ID, Stream                 string
	Version                    int64
	Type                       string
	Schema                     int
	Data, Metadata, RecordedAt string
}

// eventRows reads the events table of db, in order.
func eventRows(c *spec.Check, db *sqlitedb.DB) []eventRow {
	rows, err := db.Read.Query(`SELECT global_position, event_id, stream_id, version, event_type, schema_version, data, metadata, recorded_at
		FROM events ORDER BY global_position`)
	c.NoError(err, "reading the events table")
	defer rows.Close()
	var out []eventRow
	for rows.Next() {
		var r eventRow
		c.NoError(rows.Scan(&r.Position, &r.ID, &r.Stream, &r.Version, &r.Type, &r.Schema, &r.Data, &r.Metadata, &r.RecordedAt), "scanning an event row")
		out = append(out, r)
	}
	c.NoError(rows.Err(), "reading the events table")
	return out
}

// copyStory fills a server's database with legacy rows and a few commands
// (one with an Idempotency-Key), and returns the database and the key's answer.
func copyStory(c *spec.Check, t *testing.T) (*sqlitedb.DB, spec.Response) {
	db := fileDB(t, "source.db")
	api, stop := spec.StartAPIOn(t, db, bank.NewServer)
	insertRows(c, db, append(legacyAccount(adaID), companyAccount("0190c6a8-7d3e-7a1b-9c2d-000000000c0e")...)...)
	c.Doing("deposit into Ada's account with an Idempotency-Key, and open Bob's")
	keyed := api.Post("/accounts/"+adaID+"/deposits", map[string]any{"amount": 40, "reference": "refund"}, "Idempotency-Key", "refund-1", "X-Correlation-ID", "story-7")
	c.Status(keyed, http.StatusOK)
	c.OpenAccount(api, "savings", 0)
	stop()
	return db, keyed
}

func TestGuard_TheCopyIsTheSameLogAtTheCurrentVersions(t *testing.T) {
	c := spec.Guard(t, stage, "copy_and_replace.go", "the copy is the same log at the current versions")
	from, _ := copyStory(c, t)
	to := fileDB(t, "copy.db")
	c.Doing("CopyAndReplace into a new file")
	report, err := copyAndReplace(c, from, to)
	c.NoError(err, "CopyAndReplace")
	source, copied := eventRows(c, from), eventRows(c, to)
	c.That(report.Copied == int64(len(source)) && report.Upcast == 4 && report.Head == source[len(source)-1].Position,
		fmt.Sprintf("a report of %d copied, 4 upcast (two AccountOpened of v1 and v2, AccountCredited, AccountDebited), head %d", len(source), source[len(source)-1].Position),
		jsonText(report))
	c.Equal(len(source), len(copied), "events in the copy")
	registry := bank.NewRegistry()
	for i, s := range source {
		e, err := registry.Decode(s.Type, s.Schema, []byte(s.Data))
		c.NoError(err, "decoding the source's row at position "+itoa(int(s.Position)))
		name, version, data, err := registry.Encode(e)
		c.NoError(err, "Encode")
		want := s
		want.Type, want.Schema, want.Data = name, version, string(data)
		c.Doing("compare the copy's row at position %d (%s v%d in the source)", s.Position, s.Type, s.Schema)
		c.Equal(jsonText(want), jsonText(copied[i]), "the row: position, id, stream, version, metadata and recorded_at as stored; name, version and data current")
	}
}

func TestGuard_TheServerRunsOnTheCopyAsOnTheOriginal(t *testing.T) {
	c := spec.Guard(t, stage, "copy_and_replace.go", "the server runs on the copy as on the original")
	from, keyed := copyStory(c, t)
	to := fileDB(t, "copy.db")
	_, err := copyAndReplace(c, from, to)
	c.NoError(err, "CopyAndReplace")
	original, stopOriginal := spec.StartAPIOn(t, from, bank.NewServer)
	defer stopOriginal()
	copy, stopCopy := spec.StartAPIOn(t, to, bank.NewServer)
	defer stopCopy()
	for _, path := range []string{"/accounts/" + adaID, "/accounts/0190c6a8-7d3e-7a1b-9c2d-000000000c0e", "/accounts?owner=Ada%20Lovelace&min_position=8", "/accounts/" + adaID + "/transactions?min_position=8"} {
		c.Doing("GET %s from the original and from the copy", path)
		a, b := original.Get(path), copy.Get(path)
		c.NoStub(b)
		c.That(a.Status == http.StatusOK && a.Status == b.Status && string(a.Body) == string(b.Body), "the same answer: "+a.Describe(), b.Describe())
	}
	c.Doing("repeat the deposit with its Idempotency-Key against the copy")
	again := copy.Post("/accounts/"+adaID+"/deposits", map[string]any{"amount": 40, "reference": "refund"}, "Idempotency-Key", "refund-1")
	c.That(again.Status == http.StatusOK && again.Int("position") == keyed.Int("position") && again.Int("version") == keyed.Int("version"),
		fmt.Sprintf("the first answer again (version %d, position %d): the copy has the keys too", keyed.Int("version"), keyed.Int("position")), again.Describe())
}

func TestGuard_TheOriginalIsLeftAsItWas(t *testing.T) {
	c := spec.Guard(t, stage, "copy_and_replace.go", "the original is left as it was")
	from, _ := copyStory(c, t)
	before := fingerprint(c, from)
	_, err := copyAndReplace(c, from, fileDB(t, "copy.db"))
	c.NoError(err, "CopyAndReplace")
	c.Equal(before, fingerprint(c, from), "the original's events table after the copy")
}

func TestGuard_ACopyGoesOnWhereItStopped(t *testing.T) {
	c := spec.Guard(t, stage, "copy_and_replace.go", "a copy goes on where it stopped")
	from := fileDB(t, "source.db")
	storeOn(c, from)
	var rows []storedRow
	for i := range bank.CopyBatch + 50 {
		id := fmt.Sprintf("0190c6a8-0000-7000-8000-%012d", i)
		rows = append(rows, storedRow{bank.StreamID(id), 1, "AccountOpened", 1, `{"account_id":"` + id + `","owner":"Ada","kind":"savings","currency":"EUR","overdraft_limit":0}`})
	}
	poison := bank.CopyBatch + 20
	rows[poison-1].data = `{"account_id":"not a uuid","owner":"Ada","kind":"savings","currency":"EUR","overdraft_limit":0}`
	insertRows(c, from, rows...)
	to := fileDB(t, "copy.db")
	c.Doing("CopyAndReplace %d rows, the one at position %d undecodable", len(rows), poison)
	report, err := copyAndReplace(c, from, to)
	c.That(err != nil && strings.Contains(err.Error(), fmt.Sprintf("position %d", poison)), fmt.Sprintf("an error naming position %d: a row that does not decode stops the copy, it is not skipped", poison), fmt.Sprintf("%v, report %s", err, jsonText(report)))
	copied := eventRows(c, to)
	c.That(len(copied) == bank.CopyBatch && copied[len(copied)-1].Position == int64(bank.CopyBatch),
		fmt.Sprintf("the copy holds the first batch, positions 1 to %d, and nothing of the batch that failed (one transaction per batch)", bank.CopyBatch),
		fmt.Sprintf("%d rows", len(copied)))
	c.Doing("repair the row (test setup: a real fix is an upcaster), copy again")
	_, err = from.Write.Exec(`UPDATE events SET data = replace(data, 'not a uuid', '0190c6a8-0000-7000-8000-999999999999') WHERE global_position = ?`, poison)
	c.NoError(err, "repairing the row (test setup)")
	report, err = copyAndReplace(c, from, to)
	c.NoError(err, "CopyAndReplace again")
	c.That(report.Copied == 50 && report.Head == int64(len(rows)), fmt.Sprintf("50 copied this time, head %d: it went on after the first batch", len(rows)), jsonText(report))
	c.Equal(len(rows), len(eventRows(c, to)), "events in the copy")
}

func TestGuard_ACopyGoesOnlyIntoANewFileOrItsOwnUnfinishedCopy(t *testing.T) {
	c := spec.Guard(t, stage, "copy_and_replace.go", "a copy goes only into a new file or its own unfinished copy")
	from, _ := copyStory(c, t)
	to := fileDB(t, "other.db")
	storeOn(c, to)
	insertRows(c, to, storedRow{bank.StreamID(bobID), 1, "AccountOpened", 3, `{"account_id":"` + bobID + `","holder":{"legal_name":"Bob","type":"person"},"kind":"savings","currency":"EUR","overdraft_limit":0}`})
	before := fingerprint(c, to)
	c.Doing("CopyAndReplace into a store that holds another bank's event")
	_, err := copyAndReplace(c, from, to)
	c.That(err != nil, "an error: this is not a copy of the source", "no error")
	c.Equal(before, fingerprint(c, to), "the target's events after the refusal")
}

func TestGuard_NoStoredRowEverChanges(t *testing.T) {
	c := spec.Guard(t, stage, "copy_and_replace.go", "no stored row ever changes")
	db := fileDB(t, "bank.db")
	storeOn(c, db)
	company := "0190c6a8-7d3e-7a1b-9c2d-000000000c0e"
	insertRows(c, db, append(legacyAccount(adaID), companyAccount(company)...)...)
	// The fingerprint is taken before the server starts: its projector reads (and a
	// wrong one rewrites) the legacy rows as soon as it runs.
	before := fingerprint(c, db)
	api, stop := spec.StartAPIOn(t, db, bank.NewServer)
	defer stop()
	c.Doing("read every stream, the log and the accounts, rebuild the projections, and copy the store")
	for _, path := range []string{"/accounts/" + adaID, "/accounts/" + adaID + "/events", "/accounts/" + company, "/accounts/" + company + "/events", "/events"} {
		r := api.Get(path)
		c.NoStub(r)
		c.Status(r, http.StatusOK)
	}
	for _, name := range []string{bank.AccountsByOwnerProjection, bank.TransactionHistoryProjection, bank.DailyTotalsProjection} {
		c.Status(api.Post("/projections/"+name+"/rebuild", nil), http.StatusAccepted)
	}
	for deadline := time.Now().Add(spec.Patience); ; time.Sleep(5 * time.Millisecond) { // polling a condition, bounded
		r := api.Get("/projections")
		if !strings.Contains(string(r.Body), `"rebuild"`) && strings.Count(string(r.Body), `"build":"green"`) == 3 {
			break
		}
		if time.Now().After(deadline) {
			c.Fail("the rebuilds done, every projection at the head", r.Describe())
		}
	}
	_, err := copyAndReplace(c, db, fileDB(t, "copy.db"))
	c.NoError(err, "CopyAndReplace")
	c.Equal(before, fingerprint(c, db), "the events table (upcasting happens on read: a stored row is never UPDATEd)")
}

func TestGuard_ACopyOfAStoreThatIsStillWrittenToFails(t *testing.T) {
	c := spec.Guard(t, stage, "copy_and_replace.go", "a copy of a store that is still written to fails")
	path := filepath.Join(t.TempDir(), "source.db")
	from, err := sqlitedb.Open(path)
	c.NoError(err, "opening the source")
	defer from.Close()
	storeOn(c, from)
	insertRows(c, from, legacyAccount(adaID)...)
	to := fileDB(t, "copy.db")
	storeOn(c, to)
	c.Doing("copy while a server still appends to the source (a trigger in the copy appends to the source as each event is copied)")
	execAll(c, to.Write, `ATTACH DATABASE '`+path+`' AS source`,
		`CREATE TEMP TRIGGER still_running AFTER INSERT ON main.events BEGIN
			INSERT INTO source.events (event_id, stream_id, version, event_type, schema_version, data, metadata, recorded_at)
			VALUES (NEW.event_id || '-late', 'account-late', NEW.global_position, 'MoneyDeposited', 1, '{"amount":1}', '{}', NEW.recorded_at);
		END`)
	report, err := copyAndReplace(c, from, to)
	c.ErrorIs(err, bank.ErrSourceChanged, "an error wrapping ErrSourceChanged: the copy would miss what came in meanwhile")
	copied := eventRows(c, to)
	c.That(report.Copied == 4 && report.Head == 4 && len(copied) == 4,
		"the 4 events of the source when the copy began, copied and reported (Copied 4, Head 4): the copy stops at the head it read first, what came in meanwhile is for the next run",
		fmt.Sprintf("%d events in the copy, report %s", len(copied), jsonText(report)))
}

// The copy reads the source in the order of its positions. recorded_at is a
// clock read before the write lock, so two servers (or one whose clock stepped
// back) store times out of position order: a copy in time order would meet a
// position it has already written.
func TestGuard_TheCopyFollowsPositionsNotClocks(t *testing.T) {
	c := spec.Guard(t, stage, "copy_and_replace.go", "the copy follows positions not clocks")
	from := fileDB(t, "source.db")
	storeOn(c, from)
	insertRows(c, from, append(currentAccount(bobID), currentAccount(adaID)...)...)
	execAll(c, from.Write, `UPDATE events SET recorded_at = '2024-03-31T20:00:00Z' WHERE global_position = 4`)
	c.Doing("CopyAndReplace a store of 4 events whose last was recorded an hour before the others (another server's clock)")
	report, err := copyAndReplace(c, from, fileDB(t, "copy.db"))
	c.NoError(err, "CopyAndReplace")
	c.Equal(int64(4), report.Head, "the copy's head")
}
