package production_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// Task 7.3: rows stored under a name the code no longer has read through an
// alias; new rows get the new name. With 7.1 and 7.2, every stored shape reads.

// streamEvent is an event as GET /accounts/{id}/events shows it.
type streamEvent struct {
	Type          string         `json:"type"`
	SchemaVersion int            `json:"schema_version"`
	Data          map[string]any `json:"data"`
	StoredAs      *struct {
		Type          string `json:"type"`
		SchemaVersion int    `json:"schema_version"`
	} `json:"stored_as"`
}

// streamOf reads an account's stream through the API, one line per event:
// "MoneyDeposited v1 (stored as AccountCredited v1)".
func streamOf(c *spec.Check, api *spec.API, id string) ([]streamEvent, string) {
	r := api.Get("/accounts/" + id + "/events")
	c.NoStub(r)
	c.Status(r, http.StatusOK)
	var body struct{ Events []streamEvent }
	c.NoError(r.Decode(&body), "decoding the events")
	var lines []string
	for _, e := range body.Events {
		line := fmt.Sprintf("%s v%d", e.Type, e.SchemaVersion)
		if e.StoredAs != nil {
			line += fmt.Sprintf(" (stored as %s v%d)", e.StoredAs.Type, e.StoredAs.SchemaVersion)
		}
		lines = append(lines, line)
	}
	return body.Events, strings.Join(lines, "; ")
}

func TestGuard_RowsOfTheFirstReleaseReadUnderTheirNewNames(t *testing.T) {
	c := spec.Guard(t, stage, "registry.go", "rows of the first release read under their new names")
	api, db := newAPI(t)
	insertRows(c, db, legacyAccount(adaID)...)
	c.Doing("GET the account whose stream holds AccountCredited and AccountDebited rows")
	r := api.Get("/accounts/" + adaID)
	c.NoStub(r)
	c.Status(r, http.StatusOK)
	c.That(r.Int("balance") == 11600 && r.String("owner") == "Ada Lovelace" && r.String("holder_type") == "person",
		"Ada Lovelace, a person, balance 11600 (12000 credited, 700 debited, 300 deposited)", r.Describe())
	c.Doing("GET the account's events")
	events, lines := streamOf(c, api, adaID)
	c.Equal("AccountOpened v3 (stored as AccountOpened v1); MoneyDeposited v1 (stored as AccountCredited v1); "+
		"MoneyWithdrawn v1 (stored as AccountDebited v1); MoneyDeposited v1", lines, "the stream: current names and versions, and how each row was stored")
	c.That(fmt.Sprint(events[1].Data["amount"]) == "12000" && events[1].Data["reference"] == "opening cheque", "the credit's amount 12000 and reference", fmt.Sprint(events[1].Data))
	c.Doing("deposit 5 into the account, then read the stored row")
	c.Status(api.Post("/accounts/"+adaID+"/deposits", map[string]any{"amount": 5}), http.StatusOK)
	var typ string
	var version int
	c.NoError(db.Read.QueryRow(`SELECT event_type, schema_version FROM events WHERE stream_id = ? AND version = 5`, bank.StreamID(adaID)).Scan(&typ, &version), "reading the new row")
	c.Equal("MoneyDeposited v1", fmt.Sprintf("%s v%d", typ, version), "the new row's name and version (an alias is for reading only)")
	c.Doing("Decode an AccountCredited row with a negative amount")
	_, err := bank.NewRegistry().Decode("AccountCredited", 1, []byte(`{"amount":-5}`))
	c.That(err != nil && strings.Contains(err.Error(), "MoneyDeposited"), "an error naming MoneyDeposited, the type the old name is read as (lookup returns that type's registration, as it is)", fmt.Sprint(err))
}

func TestGuard_EveryFixtureReadsAsItsCurrentShape(t *testing.T) {
	c := spec.Guard(t, stage, "registry.go", "every fixture reads as its current shape")
	registry := bank.NewRegistry()
	for _, f := range fixtures(c) {
		c.Doing("Decode %s (%s v%d: %s)", f.File, f.Type, f.SchemaVersion, f.About)
		e, err := registry.Decode(f.Type, f.SchemaVersion, f.Data)
		c.NoError(err, "Decode")
		name, version, data, err := registry.Encode(e)
		c.NoError(err, "Encode")
		c.Equal(fmt.Sprintf("%s v%d", f.ReadsAs.Type, f.ReadsAs.SchemaVersion), fmt.Sprintf("%s v%d", name, version), "the name and version it reads as")
		c.That(sameJSON(data, f.ReadsAs.Data), "its data: "+string(f.ReadsAs.Data), string(data))
	}
}

func TestGuard_ReadModelsReadEveryStoredShape(t *testing.T) {
	c := spec.Guard(t, stage, "registry.go", "read models read every stored shape")
	api, db := newAPI(t)
	company := "0190c6a8-7d3e-7a1b-9c2d-000000000c0e"
	insertRows(c, db, append(legacyAccount(adaID), companyAccount(company)...)...)
	c.Doing("deposit 1 into each account (the projections wait for the log's head)")
	var pos int64
	for _, id := range []string{adaID, company} {
		r := api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 1})
		c.NoStub(r)
		c.Status(r, http.StatusOK)
		pos = r.Int("position")
	}
	for _, owner := range []struct {
		name, id string
		balance  int64
	}{{"Ada Lovelace", adaID, 11601}, {"Difference Engines Ltd", company, 5001}} {
		c.Doing("GET /accounts?owner=%s&min_position=%d", owner.name, pos)
		r := api.Get(fmt.Sprintf("/accounts?owner=%s&min_position=%d", strings.ReplaceAll(owner.name, " ", "%20"), pos))
		c.Status(r, http.StatusOK)
		c.That(strings.Contains(string(r.Body), fmt.Sprintf(`"id":%q`, owner.id)) && strings.Contains(string(r.Body), fmt.Sprintf(`"balance":%d`, owner.balance)),
			fmt.Sprintf("the account %s with balance %d (opened at v1 or v2, read as v3)", owner.id, owner.balance), r.Describe())
	}
	r := api.Get(fmt.Sprintf("/accounts/%s/transactions?min_position=%d", adaID, pos))
	c.Status(r, http.StatusOK)
	c.That(strings.Contains(string(r.Body), "opening cheque") && strings.Contains(string(r.Body), "card fee"),
		"the history with the first release's credit (opening cheque) and debit (card fee)", r.Describe())
}
