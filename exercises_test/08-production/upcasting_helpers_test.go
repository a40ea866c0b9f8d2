package production_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/08-production"
	"github.com/google/uuid"
)

// Helpers of stage 7's tests: the committed fixtures of every stored shape,
// rows written as older code wrote them, and a fingerprint of the events table.

// fixture is one file of testdata/events: a row as some release stored it, and
// what this code must read it as.
type fixture struct {
	File          string          `json:"-"`
	About         string          `json:"about"`
	Type          string          `json:"type"`
	SchemaVersion int             `json:"schema_version"`
	Data          json.RawMessage `json:"data"`
	ReadsAs       struct {
		Type          string          `json:"type"`
		SchemaVersion int             `json:"schema_version"`
		Data          json.RawMessage `json:"data"`
	} `json:"reads_as"`
}

// readFixtures reads every file of testdata/events.
func readFixtures() ([]fixture, error) {
	files, err := filepath.Glob(filepath.Join("testdata", "events", "*.json"))
	if err == nil && len(files) == 0 {
		err = errors.New("no fixtures in testdata/events")
	}
	var out []fixture
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		var f fixture
		if err := json.Unmarshal(data, &f); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		f.File = file
		out = append(out, f)
	}
	return out, err
}

// fixtures is readFixtures for a test.
func fixtures(c *spec.Check) []fixture {
	out, err := readFixtures()
	c.NoError(err, "reading the fixtures in testdata/events")
	return out
}

// fixtureData is the data of the fixture of name at version, as a JSON object.
func fixtureData(c *spec.Check, name string, version int) map[string]any {
	for _, f := range fixtures(c) {
		if f.Type == name && f.SchemaVersion == version {
			return object(c, f.Data)
		}
	}
	c.Fail("a fixture of "+name+" v"+itoa(version), "none in testdata/events")
	return nil
}

func itoa(n int) string { return jsonText(n) }

// object decodes a JSON object.
func object(c *spec.Check, data []byte) map[string]any {
	var m map[string]any
	c.NoError(json.Unmarshal(data, &m), "decoding "+string(data))
	return m
}

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

func jsonText(v any) string {
	data, _ := json.Marshal(v)
	return string(data)
}

// storedRow is an event row as some release of the bank stored it.
type storedRow struct {
	stream  string
	version int64
	typ     string
	schema  int
	data    string
}

// insertRows stores rows as they are, in one transaction, recorded a minute
// apart from a day in 2024, with the metadata of the release that wrote them.
func insertRows(c *spec.Check, db *sqlitedb.DB, rows ...storedRow) {
	tx, err := db.Write.Begin()
	c.NoError(err, "BEGIN (test setup)")
	defer tx.Rollback()
	at := time.Date(2024, 3, 31, 21, 0, 0, 0, time.UTC)
	for i, r := range rows {
		_, err := tx.Exec(`INSERT INTO events (event_id, stream_id, version, event_type, schema_version, data, metadata, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, uuid.Must(uuid.NewV7()).String(), r.stream, r.version, r.typ, r.schema, r.data,
			`{"correlation_id":"release-1","causation_id":"import","user_id":"teller-7"}`, at.Add(time.Duration(i)*time.Minute).Format(time.RFC3339Nano))
		c.NoError(err, "inserting a row as an older release wrote it (test setup)")
	}
	c.NoError(tx.Commit(), "COMMIT (test setup)")
}

// legacyAccount is a stream as three releases wrote it: opened at v1 with the
// first release's money events, then a deposit of stages 2 to 6. Its balance is
// 12000 - 700 + 300 = 11600.
func legacyAccount(id string) []storedRow {
	s := bank.StreamID(id)
	return []storedRow{
		{s, 1, "AccountOpened", 1, `{"account_id":"` + id + `","owner":"Ada Lovelace","kind":"checking","currency":"EUR","overdraft_limit":10000}`},
		{s, 2, "AccountCredited", 1, `{"amount":12000,"reference":"opening cheque"}`},
		{s, 3, "AccountDebited", 1, `{"amount":700,"reference":"card fee"}`},
		{s, 4, "MoneyDeposited", 1, `{"amount":300,"reference":"salary March"}`},
	}
}

// companyAccount is a stream opened at v2 by a company, with one deposit.
func companyAccount(id string) []storedRow {
	s := bank.StreamID(id)
	return []storedRow{
		{s, 1, "AccountOpened", 2, `{"account_id":"` + id + `","holder":{"name":"Difference Engines Ltd","type":"company"},"kind":"checking","currency":"GBP","overdraft_limit":250000}`},
		{s, 2, "MoneyDeposited", 1, `{"amount":5000}`},
	}
}

// fingerprint is a hash of every stored event row, column by column, in order,
// and how many there are: equal fingerprints, unchanged rows.
func fingerprint(c *spec.Check, db *sqlitedb.DB) string {
	rows, err := db.Read.Query(`SELECT global_position, event_id, stream_id, version, event_type, schema_version, data, metadata, recorded_at
		FROM events ORDER BY global_position`)
	c.NoError(err, "reading the events table")
	defer rows.Close()
	h := sha256.New()
	n := 0
	for rows.Next() {
		var position, version, schema int64
		var id, stream, typ, data, metadata, recorded string
		c.NoError(rows.Scan(&position, &id, &stream, &version, &typ, &schema, &data, &metadata, &recorded), "scanning an event row")
		h.Write([]byte(jsonText([]any{position, id, stream, version, typ, schema, data, metadata, recorded})))
		n++
	}
	c.NoError(rows.Err(), "reading the events table")
	return itoa(n) + " rows, sha256 " + hex.EncodeToString(h.Sum(nil))[:16]
}

// fileDB opens a database file in a temporary folder of t.
func fileDB(t *testing.T, name string) *sqlitedb.DB {
	db, err := sqlitedb.Open(filepath.Join(t.TempDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// storeOn creates the bank's event store in db (its tables too).
func storeOn(c *spec.Check, db *sqlitedb.DB) *bank.EventStore {
	store, err := bank.NewEventStore(c.Ctx(), db, bank.NewRegistry())
	c.NoError(err, "NewEventStore")
	return store
}
