package production_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// Guards of what stage 7 adds around its tasks: the v3 shape written by the
// API, the unchanged integration contract, a fixture per stored shape, and
// decoding that refuses a payload rather than fill it with zeros.

func TestGuard_AnAccountIsHeldByAPersonOrACompany(t *testing.T) {
	c := spec.Guard(t, stage, "open_account.go, http_requests.go and account_factory.go", "an account is held by a person (the default) or a company")
	api, db := newAPI(t)
	for _, open := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"owner": "Ada Lovelace", "kind": "savings", "currency": "EUR"}, "person"},
		{map[string]any{"owner": "Difference Engines Ltd", "holder_type": "company", "kind": "checking", "currency": "GBP", "overdraft_limit": 5000}, "company"},
		{map[string]any{"owner": "Bob", "holder_type": "person", "kind": "savings", "currency": "EUR"}, "person"},
	} {
		c.Doing("POST /accounts %s", jsonText(open.body))
		r := api.Post("/accounts", open.body)
		c.Status(r, http.StatusCreated)
		id := r.String("id")
		r = api.Get("/accounts/" + id)
		c.That(r.String("holder_type") == open.want && r.String("owner") == open.body["owner"], "holder_type "+open.want+" and the owner's name", r.Describe())
		var typ, data string
		var version int
		c.NoError(db.Read.QueryRow(`SELECT event_type, schema_version, data FROM events WHERE stream_id = ? AND version = 1`, bank.StreamID(id)).Scan(&typ, &version, &data), "reading the stored AccountOpened")
		want := fmt.Sprintf(`"holder":{"legal_name":"encrypted:v1:…","type":%q}`, open.want)
		stored := strings.Contains(data, `"holder":{"legal_name":"encrypted:v1:`) && strings.Contains(data, fmt.Sprintf(`,"type":%q}`, open.want))
		c.That(typ == "AccountOpened" && version == 3 && stored && !strings.Contains(data, open.body["owner"].(string)),
			"AccountOpened v3 with "+want+" (the name encrypted, stage 8)", fmt.Sprintf("%s v%d %s", typ, version, data))
	}
	before := fingerprint(c, db)
	for _, holder := range []string{`""`, `"trust"`, `"Company"`, `7`, `["person"]`} {
		c.Doing("POST /accounts with holder_type %s", holder)
		r := api.Do("POST", "/accounts", `{"owner":"Ada","kind":"savings","currency":"EUR","holder_type":`+holder+`}`, "Content-Type", "application/json")
		c.That(r.Status == http.StatusBadRequest && strings.Contains(string(r.Body), "holder_type"), "400 naming holder_type", r.Describe())
	}
	c.Equal(before, fingerprint(c, db), "the events table after the refusals (a refusal writes nothing)")
}

func TestGuard_TheIntegrationContractDoesNotFollowTheEventsSchema(t *testing.T) {
	c := spec.Guard(t, stage, "integration_events.go", "the integration contract does not change when an internal event's schema does")
	api, db := newAPI(t)
	c.Doing("open an account held by a company")
	r := api.Post("/accounts", map[string]any{"owner": "Difference Engines Ltd", "holder_type": "company", "kind": "checking", "currency": "GBP", "overdraft_limit": 5000})
	c.Status(r, http.StatusCreated)
	rows := outboxRows(c, db)
	c.That(len(rows) == 1 && rows[0].Type == bank.AccountOpenedV1Type && sameJSON([]byte(rows[0].Data), []byte(fmt.Sprintf(`{"account_id":%q,"kind":"checking","currency":"GBP"}`, r.String("id")))),
		"one bank.account.v1.AccountOpened message with exactly account_id, kind and currency: consumers see the contract of stage 5, whatever AccountOpened's version", jsonText(rows))
}

func TestGuard_EveryStoredShapeTheRegistryReadsHasAFixture(t *testing.T) {
	c := spec.Guard(t, stage, "registry.go (NewRegistry) and testdata/events", "every name and schema version the registry reads has a committed fixture")
	for _, s := range bank.NewRegistry().Schemas() {
		for v := 1; v <= s.SchemaVersion; v++ {
			file := filepath.Join("testdata", "events", fmt.Sprintf("%s.v%d.json", s.Type, v))
			_, err := os.Stat(file)
			c.NoError(err, fmt.Sprintf("%s v%d is read by this code: its fixture %s (a row as it was stored, and what it reads as; a new version comes with one)", s.Type, v, file))
		}
		for _, alias := range s.Aliases {
			file := filepath.Join("testdata", "events", alias+".v1.json")
			_, err := os.Stat(file)
			c.NoError(err, fmt.Sprintf("the old name %s is read as %s: its fixture %s", alias, s.Type, file))
		}
	}
}

func TestGuard_DecodingRefusesWhatItWouldHaveToGuess(t *testing.T) {
	c := spec.Guard(t, stage, "event_checks.go and registry.go (Decode)", "a decoded event has no silent zero: a missing field or a value the bank never writes is an error")
	registry := bank.NewRegistry()
	opened := func(change string) string {
		return strings.Replace(`{"account_id":"`+adaID+`","holder":{"legal_name":"Ada","type":"person"},"kind":"checking","currency":"EUR","overdraft_limit":0}`, change, "", 1)
	}
	for _, bad := range []struct{ typ, data, why string }{
		{"MoneyDeposited", `{}`, "no amount"},
		{"MoneyDeposited", `{"amount":null,"reference":"x"}`, "a null amount"},
		{"MoneyWithdrawn", `{"reference":"rent"}`, "no amount"},
		{"MoneyWithdrawn", `{"amount":-5}`, "a negative amount"},
		{"MoneyDeposited", `{"amount":"5"}`, "an amount that is text"},
		{"OpeningBalanceMigrated", `{"source":"legacy"}`, "no balance"},
		{"OpeningBalanceMigrated", `{"balance":100,"source":" "}`, "a blank source"},
		{"AccountOpened", opened(`,"overdraft_limit":0`), "no overdraft_limit"},
		{"AccountOpened", opened(`"holder":{"legal_name":"Ada","type":"person"},`), "no holder"},
		{"AccountOpened", opened(`"legal_name":"Ada",`), "a holder without a legal name"},
		{"AccountOpened", strings.Replace(opened(""), `"legal_name":"Ada"`, `"legal_name":"   "`, 1), "a legal name of spaces"},
		{"AccountOpened", strings.Replace(opened(""), `"person"`, `"robot"`, 1), "a holder who is neither a person nor a company"},
		{"AccountOpened", strings.Replace(opened(""), `"EUR"`, `"eur"`, 1), "a currency that is no ISO code"},
		{"AccountOpened", strings.Replace(opened(""), `"checking"`, `"gold"`, 1), "a kind the bank has not"},
		{"AccountOpened", strings.Replace(opened(""), adaID, "ada", 1), "an account id that is not a UUID"},
		{"AccountOpened", strings.Replace(opened(""), `"overdraft_limit":0`, `"overdraft_limit":-1`, 1), "a negative overdraft limit"},
	} {
		version := 1
		if bad.typ == "AccountOpened" {
			version = 3
		}
		c.Doing("Decode %s v%d with %s: %s", bad.typ, version, bad.why, bad.data)
		e, err := registry.Decode(bad.typ, version, []byte(bad.data))
		c.That(err != nil, "an error: reading this as a fact would invent part of it", fmt.Sprintf("no error: %#v", e))
	}
	c.Doing("Decode a v3 AccountOpened with a field this code does not know")
	_, err := registry.Decode("AccountOpened", 3, []byte(strings.Replace(opened(""), `"kind"`, `"branch":"Leeds","kind"`, 1)))
	c.NoError(err, "Decode (a tolerant reader: a field added without a new version is ignored)")
}

func TestGuard_AStoredCurrencyIsThreeCapitalLetters(t *testing.T) {
	c := spec.Guard(t, stage, "event_checks.go (isCurrencyCode)",
		"a stored AccountOpened's currency is three capital letters A to Z, any of them: a currency the bank no longer offers still reads")
	registry := bank.NewRegistry()
	opened := func(currency string) []byte {
		return []byte(fmt.Sprintf(`{"account_id":%q,"holder":{"legal_name":"Ada Lovelace","type":"person"},"kind":"checking","currency":%q,"overdraft_limit":0}`, adaID, currency))
	}
	for _, code := range []string{"AUD", "CZK", "ZAR", "XAU"} {
		c.Doing("decode an AccountOpened v3 stored in %s", code)
		e, err := registry.Decode("AccountOpened", 3, opened(code))
		c.NoError(err, "Decode")
		c.That(e.(bank.AccountOpened).Currency == code, "the account in "+code, fmt.Sprintf("%+v", e))
	}
	for _, code := range []string{"EU", "EURO", "eur", "@UR", "[UR", "EU1", "€UR"} {
		c.Doing("decode an AccountOpened v3 stored in %q", code)
		e, err := registry.Decode("AccountOpened", 3, opened(code))
		c.That(err != nil, fmt.Sprintf("an error: %q is not three capital letters, and guessing a currency would be a silent wrong value", code), fmt.Sprintf("no error: %+v", e))
	}
}
