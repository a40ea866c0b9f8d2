package main

import (
	"fmt"
	"time"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

// From stage 7 on, the demo's database also holds rows as older releases wrote
// them: an account opened by the first release (AccountOpened v1, with its
// money events named AccountCredited and AccountDebited) and one opened by a
// company at AccountOpened v2. They are written into the file beside the
// running server, as a restored backup would be; the server reads them through
// its upcasters and aliases.

// legacyCharles and legacyCompany are the ids of the two legacy accounts.
const (
	legacyCharles = "0190c6a8-0000-7000-8000-00000000c4a5"
	legacyCompany = "0190c6a8-0000-7000-8000-0000000000de"
)

// seedLegacyRows writes the legacy streams into the demo's database file.
func seedLegacyRows(path string) error {
	db, err := sqlitedb.Open(path)
	if err != nil {
		return err
	}
	defer db.Close()
	rows := []struct {
		stream  string
		version int
		typ     string
		schema  int
		data    string
	}{
		{"account-" + legacyCharles, 1, "AccountOpened", 1, `{"account_id":"` + legacyCharles + `","owner":"Charles Babbage","kind":"checking","currency":"GBP","overdraft_limit":5000}`},
		{"account-" + legacyCharles, 2, "AccountCredited", 1, `{"amount":12000,"reference":"opening cheque"}`},
		{"account-" + legacyCharles, 3, "AccountDebited", 1, `{"amount":700,"reference":"card fee"}`},
		{"account-" + legacyCompany, 1, "AccountOpened", 2, `{"account_id":"` + legacyCompany + `","holder":{"name":"Difference Engines Ltd","type":"company"},"kind":"checking","currency":"GBP","overdraft_limit":250000}`},
		{"account-" + legacyCompany, 2, "MoneyDeposited", 1, `{"amount":50000,"reference":"founders' capital"}`},
	}
	tx, err := db.Write.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	at := time.Date(2024, 3, 31, 21, 0, 0, 0, time.UTC)
	for i, r := range rows {
		_, err := tx.Exec(`INSERT INTO events (event_id, stream_id, version, event_type, schema_version, data, metadata, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, fmt.Sprintf("legacy-%d", i+1), r.stream, r.version, r.typ, r.schema, r.data,
			`{"correlation_id":"release-1","causation_id":"","user_id":"teller-7"}`, at.Add(time.Duration(i)*time.Minute).Format(time.RFC3339Nano))
		if err != nil {
			return fmt.Errorf("write the legacy rows into %s: %w", path, err)
		}
	}
	return tx.Commit()
}
