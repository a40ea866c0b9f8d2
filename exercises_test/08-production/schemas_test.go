package production_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// Stretch task 7.5: GET /schemas says which names and versions are stored.

func TestGuard_SchemasCountTheStoredRowsOfEachNameAndVersion(t *testing.T) {
	c := spec.Guard(t, stage, "schemas.go", "schemas count the stored rows of each name and version")
	api, db := newAPI(t)
	insertRows(c, db, append(legacyAccount(adaID), companyAccount("0190c6a8-7d3e-7a1b-9c2d-000000000c0e")...)...)
	spec.InsertEvent(c, db, "account-"+adaID, 5, "MoneyTeleported", `{"amount":5}`)
	c.OpenAccount(api, "savings", 0)
	c.Doing("GET /schemas")
	r := api.Get("/schemas")
	c.NoStub(r)
	c.Status(r, http.StatusOK)
	var got struct {
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
		Unknown []struct {
			Type          string `json:"type"`
			SchemaVersion int    `json:"schema_version"`
			Events        int64  `json:"events"`
		} `json:"unknown"`
	}
	c.NoError(r.Decode(&got), "decoding the answer")
	var lines []string
	for _, t := range got.Types {
		line := fmt.Sprintf("%s v%d, aliases %v, stored:", t.Type, t.SchemaVersion, t.Aliases)
		for _, s := range t.Stored {
			line += fmt.Sprintf(" %s v%d ×%d;", s.Type, s.SchemaVersion, s.Events)
		}
		lines = append(lines, line)
	}
	line := "unknown:"
	for _, u := range got.Unknown {
		line += fmt.Sprintf(" %s v%d ×%d;", u.Type, u.SchemaVersion, u.Events)
	}
	lines = append(lines, line)
	want := []string{
		"AccountClosed v1, aliases [], stored:",
		"AccountOpened v3, aliases [], stored: AccountOpened v1 ×1; AccountOpened v2 ×1; AccountOpened v3 ×1;",
		"MoneyDeposited v1, aliases [AccountCredited], stored: AccountCredited v1 ×1; MoneyDeposited v1 ×2;",
		"MoneyWithdrawn v1, aliases [AccountDebited], stored: AccountDebited v1 ×1;",
		"OpeningBalanceMigrated v1, aliases [], stored:",
		"PersonalDataForgotten v1, aliases [], stored:",
		"unknown: MoneyTeleported v1 ×1;",
	}
	c.Equal(strings.Join(want, "\n"), strings.Join(lines, "\n"),
		"per type: the version written now, its old names, the rows stored under each name and version (an alias counts for its type); rows of unknown names apart")
}

func TestGuard_SchemasThatCannotBeCountedAreAnError(t *testing.T) {
	c := spec.Guard(t, stage, "schemas.go", "schemas that cannot be counted are an error")
	api, db := newAPI(t)
	c.OpenAccount(api, "savings", 0)
	c.Doing("GET /schemas")
	r := api.Get("/schemas")
	c.NoStub(r)
	c.Status(r, http.StatusOK)
	store, err := bank.NewEventStore(c.Ctx(), db, bank.NewRegistry())
	c.NoError(err, "NewEventStore")
	for _, bad := range []struct{ name, break_, repair string }{
		{"the events table renamed", `ALTER TABLE events RENAME TO events_away`, `ALTER TABLE events_away RENAME TO events`},
		{"a row whose schema_version is not a number", `UPDATE events SET schema_version = 'two' WHERE global_position = 1`,
			`UPDATE events SET schema_version = 1 WHERE global_position = 1`},
	} {
		execAll(c, db.Write, bad.break_)
		c.Doing("Schemas, with %s", bad.name)
		report, err := store.Schemas(c.Ctx())
		c.That(err != nil, "an error: counts that cannot be read are not zero", fmt.Sprintf("no error: %+v", report))
		c.Doing("GET /schemas, with %s", bad.name)
		c.Status(api.Get("/schemas"), http.StatusInternalServerError)
		execAll(c, db.Write, bad.repair)
	}
}
