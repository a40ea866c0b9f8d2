package upcasting_test

import (
	"net/http"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
)

// Stretch task 7.5: GET /schemas says which names and versions are stored.

func Test7_5_SchemasCountTheStoredRowsOfEachNameAndVersion(t *testing.T) {
	c := spec.For(t, stage)
	api, db := newAPI(t)
	insertRows(c, db, append(legacyAccount(adaID), companyAccount("0190c6a8-7d3e-7a1b-9c2d-000000000c0e")...)...)
	spec.InsertEvent(c, db, "account-"+adaID, 5, "MoneyTeleported", `{"amount":5}`)
	c.OpenAccount(api, "savings", 0)
	c.Doing("GET /schemas")
	r := api.Get("/schemas")
	c.NoStub(r)
	c.Status(r, http.StatusOK)
	want := `{"types":[` +
		`{"type":"AccountClosed","schema_version":1,"aliases":[],"stored":[]},` +
		`{"type":"AccountOpened","schema_version":3,"aliases":[],"stored":[{"type":"AccountOpened","schema_version":1,"events":1},{"type":"AccountOpened","schema_version":2,"events":1},{"type":"AccountOpened","schema_version":3,"events":1}]},` +
		`{"type":"MoneyDeposited","schema_version":1,"aliases":["AccountCredited"],"stored":[{"type":"AccountCredited","schema_version":1,"events":1},{"type":"MoneyDeposited","schema_version":1,"events":2}]},` +
		`{"type":"MoneyWithdrawn","schema_version":1,"aliases":["AccountDebited"],"stored":[{"type":"AccountDebited","schema_version":1,"events":1}]},` +
		`{"type":"OpeningBalanceMigrated","schema_version":1,"aliases":[],"stored":[]}],` +
		`"unknown":[{"type":"MoneyTeleported","schema_version":1,"events":1}]}`
	c.That(sameJSON(r.Body, []byte(want)), "per type: the version written now, its old names, and the rows stored under each name and version; rows of unknown names apart:\n"+want, r.Describe())
}
