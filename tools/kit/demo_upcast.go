package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

// make demo-upcast: stage 7 reads rows that older releases wrote (AccountOpened
// v1 and v2, the first release's AccountCredited and AccountDebited; written by
// seedLegacyRows, as a restored backup would be) as today's events: upcasters
// on read, renames as registry aliases. GET .../events says how each row was
// stored (stored_as), and the rows themselves never change. The same reads
// with known-wrong variant upcast-by-updating-the-stored-rows rewrite them.

// storedRow is a legacy row as the events table holds it.
type storedRow struct {
	position      int64
	version       int64
	typ           string
	schemaVersion int
	data          string
}

func (r storedRow) String() string {
	return fmt.Sprintf("%d %d %s v%d %s", r.position, r.version, r.typ, r.schemaVersion, r.data)
}

// legacyAccounts are the two accounts of seedLegacyRows, by the name the demo gives them.
var legacyAccounts = []struct{ label, id string }{{"Charles", legacyCharles}, {"company", legacyCompany}}

func demoUpcast(d *demo) (string, error) {
	d.step("Stage 7, and in its database five rows as the first releases wrote them (a restored backup).",
		"Old names, old shapes: stored events are facts, and facts are never edited.")
	srv, before, err := upcastServer(d, "")
	if err != nil {
		return "", err
	}
	t := newTable("position", "version", "stored type", "stored data")
	for _, r := range before {
		t.add(r.position, r.version, fmt.Sprintf("%s v%d", r.typ, r.schemaVersion), shorten(r.data, 80))
	}
	d.table(t)
	read, err := upcastRead(d, srv)
	if err != nil {
		return "", err
	}
	balances, err := upcastAccounts(d, srv)
	if err != nil {
		return "", err
	}
	after, err := legacyRows(srv.db)
	if err != nil {
		return "", err
	}
	changed := changedRows(before, after)
	d.note("the five rows after these reads: %d changed", len(changed))
	rewritten, err := upcastRewritten(d)
	if err != nil {
		return "", err
	}
	return upcastVerdict(read, balances, changed, rewritten)
}

// upcastRead shows the legacy streams as GET .../events reads them, and returns them.
func upcastRead(d *demo, srv *demoServer) ([]streamEvent, error) {
	d.step("GET /accounts/{id}/events for Charles and the company: every event at its current name and version.",
		"The upcasters run on read, v1 → v2 → v3; a rename is an alias in the registry. stored_as keeps how the row was written.")
	var read []streamEvent
	for _, a := range legacyAccounts {
		events, _, err := readStream(srv, a.id)
		if err != nil {
			return nil, err
		}
		read = append(read, events...)
	}
	d.table(upcastTable(read))
	first, err := firstEventJSON(srv, legacyCharles)
	if err != nil {
		return nil, err
	}
	d.note("Charles's AccountOpened, stored at v1 (owner), read at v3 (holder with legal_name and type):")
	d.json(first)
	return read, nil
}

// upcastAccounts shows the accounts folded from the legacy events, and
// GET /schemas; it returns the balances.
func upcastAccounts(d *demo, srv *demoServer) (map[string]int64, error) {
	d.step("The accounts, folded from those events, and GET /schemas: which stored shapes are still in the store.",
		"An upcaster can go once no row needs it any more; /schemas says when.")
	t := newTable("account", "owner", "holder_type", "currency", "balance", "version")
	balances := map[string]int64{}
	for _, a := range legacyAccounts {
		var acc struct {
			Owner      string `json:"owner"`
			HolderType string `json:"holder_type"`
			Currency   string `json:"currency"`
			Balance    int64  `json:"balance"`
			Version    int64  `json:"version"`
		}
		if _, err := srv.get("/accounts/"+a.id, &acc); err != nil {
			return nil, err
		}
		balances[a.id] = acc.Balance
		t.add(a.label, acc.Owner, acc.HolderType, acc.Currency, acc.Balance, acc.Version)
	}
	d.table(t)
	schemas, err := schemasTable(srv)
	if err != nil {
		return nil, err
	}
	d.table(schemas)
	return balances, nil
}

// upcastRewritten makes the same reads on a server with known-wrong variant
// upcast-by-updating-the-stored-rows, and returns the rows they rewrote.
func upcastRewritten(d *demo) ([]int, error) {
	d.step("The same reads with known-wrong variant upcast-by-updating-the-stored-rows.",
		"\"Upcast once and be done with it\": every read writes the upcast event back over the row it came from.")
	srv, before, err := upcastServer(d, "upcast-by-updating-the-stored-rows")
	if err != nil {
		return nil, err
	}
	for _, a := range legacyAccounts {
		if _, _, err := readStream(srv, a.id); err != nil {
			return nil, err
		}
	}
	after, err := legacyRows(srv.db)
	if err != nil {
		return nil, err
	}
	rewritten := changedRows(before, after)
	t := newTable("position", "stored as", "now says")
	for _, i := range rewritten {
		t.add(after[i].position, fmt.Sprintf("%s v%d", before[i].typ, before[i].schemaVersion), fmt.Sprintf("%s v%d", after[i].typ, after[i].schemaVersion))
	}
	d.note("the rows after the reads: %d of %d rewritten; what the first releases wrote is gone", len(rewritten), len(after))
	d.table(t)
	return rewritten, nil
}

// upcastServer starts a fresh stage 7 server (with the variant called
// variantName, or none), writes the legacy rows beside it, and returns them as
// stored.
func upcastServer(d *demo, variantName string) (*demoServer, []storedRow, error) {
	srv, err := d.server(variantName, d.freshDB())
	if err != nil {
		return nil, nil, err
	}
	if err := seedLegacyRows(srv.db); err != nil {
		return nil, nil, err
	}
	rows, err := legacyRows(srv.db)
	return srv, rows, err
}

// upcastTable is a stream read through the upcasters: how each row was stored,
// and what it reads as today.
func upcastTable(events []streamEvent) *table {
	t := newTable("position", "version", "stored as", "read as", "amount", "reference")
	for _, e := range events {
		stored, readAs := fmt.Sprintf("%s v%d", e.Type, e.SchemaVersion), "(as stored)"
		if e.StoredAs != nil {
			stored, readAs = fmt.Sprintf("%s v%d", e.StoredAs.Type, e.StoredAs.SchemaVersion), stored
		}
		amount := ""
		if m := e.movement(); m != 0 {
			amount = signed(m)
		}
		t.add(e.Position, e.Version, stored, readAs, amount, e.Data.Reference)
	}
	return t
}

// firstEventJSON is the first event of an account's stream, as the server wrote it.
func firstEventJSON(srv *demoServer, id string) ([]byte, error) {
	var stream struct {
		Events []json.RawMessage `json:"events"`
	}
	if _, err := srv.get("/accounts/"+id+"/events", &stream); err != nil {
		return nil, err
	}
	if len(stream.Events) == 0 {
		return nil, notShown("the stream of %s is empty", id)
	}
	return stream.Events[0], nil
}

// schemasTable is GET /schemas: each type at its current version, its aliases,
// and the stored shapes the upcasters still read.
func schemasTable(srv *demoServer) (*table, error) {
	var report struct {
		Types []struct {
			Type          string   `json:"type"`
			SchemaVersion int      `json:"schema_version"`
			Aliases       []string `json:"aliases"`
			Stored        []struct {
				Type          string `json:"type"`
				SchemaVersion int    `json:"schema_version"`
				Events        int64  `json:"events"`
			} `json:"stored"`
		} `json:"types"`
	}
	if _, err := srv.get("/schemas", &report); err != nil {
		return nil, err
	}
	t := newTable("type (current)", "aliases", "rows stored as")
	for _, ty := range report.Types {
		var stored []string
		for _, s := range ty.Stored {
			stored = append(stored, fmt.Sprintf("%s v%d: %d", s.Type, s.SchemaVersion, s.Events))
		}
		t.add(fmt.Sprintf("%s v%d", ty.Type, ty.SchemaVersion), strings.Join(ty.Aliases, ", "), strings.Join(stored, ", "))
	}
	return t, nil
}

// legacyRows reads the legacy rows straight from the events table.
func legacyRows(db string) ([]storedRow, error) {
	store, err := sqlitedb.Open(db)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	rows, err := store.Read.Query(`SELECT global_position, version, event_type, schema_version, data FROM events
		WHERE event_id LIKE 'legacy-%' ORDER BY global_position`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storedRow
	for rows.Next() {
		var r storedRow
		if err := rows.Scan(&r.position, &r.version, &r.typ, &r.schemaVersion, &r.data); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// changedRows are the indexes of the rows that differ between before and after.
func changedRows(before, after []storedRow) []int {
	var out []int
	for i := range before {
		if i >= len(after) || before[i] != after[i] {
			out = append(out, i)
		}
	}
	return out
}

// upcastVerdict checks that every legacy row was read at today's version with
// its stored_as, the balances are what the old events say, no row changed, and
// the variant did rewrite rows.
func upcastVerdict(read []streamEvent, balances map[string]int64, changed, rewritten []int) (string, error) {
	upcast := 0
	for _, e := range read {
		if e.StoredAs != nil {
			upcast++
		}
	}
	switch {
	case len(read) != 5 || upcast != 4:
		return "", notShown("%d legacy events read, %d of them with stored_as (want 5 and 4)", len(read), upcast)
	case balances[legacyCharles] != 12000-700 || balances[legacyCompany] != 50000:
		return "", notShown("balances %d and %d (want 11300 and 50000)", balances[legacyCharles], balances[legacyCompany])
	case len(changed) > 0:
		return "", notShown("reading changed %d stored rows", len(changed))
	case len(rewritten) == 0:
		return "", notShown("the variant upcast-by-updating-the-stored-rows changed no row")
	}
	return fmt.Sprintf("5 rows of older releases read as today's events (%d through upcasters or aliases, each with its stored_as), "+
		"balances %d and %d; no stored row changed. With upcast-by-updating-the-stored-rows the same reads rewrote %d of them",
		upcast, balances[legacyCharles], balances[legacyCompany], len(rewritten)), nil
}
