package production_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// Task 7.2: AccountOpened's two upcasters, each a small pure function.

// deepCopy copies a JSON object through JSON.
func deepCopy(c *spec.Check, m map[string]any) map[string]any {
	data, err := json.Marshal(m)
	c.NoError(err, "copying a payload")
	return object(c, data)
}

func TestGuard_AnOwnerBecomesAHolderWhoIsAPerson(t *testing.T) {
	c := spec.Guard(t, stage, "upcasters_account_opened.go", "an owner becomes a holder who is a person")
	v1 := fixtureData(c, "AccountOpened", 1)
	c.Doing("AccountOpenedV1ToV2(%s)", jsonText(v1))
	v2, err := bank.AccountOpenedV1ToV2(v1)
	c.NoError(err, "AccountOpenedV1ToV2")
	want := `{"account_id":"0190c6a8-7d3e-7a1b-9c2d-3e4f5a6b7c8d","holder":{"name":"Ada Lovelace","type":"person"},"kind":"checking","currency":"EUR","overdraft_limit":10000}`
	c.That(sameJSON([]byte(jsonText(v2)), []byte(want)), "v2: "+want+" (no owner left)", jsonText(v2))
}

func TestGuard_AHoldersNameBecomesItsLegalName(t *testing.T) {
	c := spec.Guard(t, stage, "upcasters_account_opened.go", "a holders name becomes its legal name")
	for _, holder := range []string{`{"name":"Difference Engines Ltd","type":"company"}`, `{"name":"Ada Lovelace","type":"person"}`} {
		v2 := object(c, []byte(`{"account_id":"0190c6a8-7d3e-7a1b-9c2d-000000000c0e","holder":`+holder+`,"kind":"savings","currency":"GBP","overdraft_limit":0}`))
		c.Doing("AccountOpenedV2ToV3(%s)", jsonText(v2))
		v3, err := bank.AccountOpenedV2ToV3(v2)
		c.NoError(err, "AccountOpenedV2ToV3")
		h := v2["holder"].(map[string]any)
		want := fmt.Sprintf(`{"account_id":"0190c6a8-7d3e-7a1b-9c2d-000000000c0e","holder":{"legal_name":%q,"type":%q},"kind":"savings","currency":"GBP","overdraft_limit":0}`, h["name"], h["type"])
		c.That(sameJSON([]byte(jsonText(v3)), []byte(want)), "v3: "+want+" (the holder's type kept, no name left)", jsonText(v3))
	}
}

func TestGuard_AnUpcasterChangesNothingItIsGiven(t *testing.T) {
	c := spec.Guard(t, stage, "upcasters_account_opened.go", "an upcaster changes nothing it is given")
	steps := []struct {
		name string
		step bank.Upcaster
		in   map[string]any
	}{
		{"AccountOpenedV1ToV2", bank.AccountOpenedV1ToV2, fixtureData(c, "AccountOpened", 1)},
		{"AccountOpenedV2ToV3", bank.AccountOpenedV2ToV3, fixtureData(c, "AccountOpened", 2)},
	}
	for _, s := range steps {
		before := deepCopy(c, s.in)
		c.Doing("%s(%s)", s.name, jsonText(s.in))
		out, err := s.step(s.in)
		c.NoError(err, s.name)
		c.Equal(jsonText(before), jsonText(s.in), "the payload "+s.name+" was given, after the call (a stored row is read again and again: its payload is not the step's to change)")
		c.Doing("%s(%s), then change what it returned", s.name, jsonText(s.in))
		if holder, ok := out["holder"].(map[string]any); ok {
			holder["legal_name"], holder["name"], holder["type"] = "Mallory", "Mallory", "robot"
		}
		out["account_id"] = "changed"
		c.Equal(jsonText(before), jsonText(s.in), "the payload "+s.name+" was given, after changing its result (the result shares no map with it)")
	}
	c.Doing("AccountOpenedV1ToV2 for two owners, then change the first result's holder")
	first, err := bank.AccountOpenedV1ToV2(map[string]any{"account_id": adaID, "owner": "Ada", "kind": "checking", "currency": "EUR", "overdraft_limit": 0})
	c.NoError(err, "AccountOpenedV1ToV2")
	second, err := bank.AccountOpenedV1ToV2(map[string]any{"account_id": bobID, "owner": "Bob", "kind": "savings", "currency": "EUR", "overdraft_limit": 0})
	c.NoError(err, "AccountOpenedV1ToV2")
	c.Equal(`{"name":"Ada","type":"person"}`, jsonText(first["holder"]), "the first holder, after a second call (each call makes a new holder: none is shared between results)")
	first["holder"].(map[string]any)["type"] = "company"
	c.Equal(`{"name":"Bob","type":"person"}`, jsonText(second["holder"]), "the second holder, after changing the first")
}

func TestGuard_AnUpcasterRefusesWhatItCannotTurn(t *testing.T) {
	c := spec.Guard(t, stage, "upcasters_account_opened.go", "an upcaster refuses what it cannot turn")
	c.Doing("AccountOpenedV1ToV2 and AccountOpenedV2ToV3 on the fixtures of v1 and v2")
	_, err := bank.AccountOpenedV1ToV2(fixtureData(c, "AccountOpened", 1))
	c.NoError(err, "AccountOpenedV1ToV2 on a v1 payload")
	_, err = bank.AccountOpenedV2ToV3(fixtureData(c, "AccountOpened", 2))
	c.NoError(err, "AccountOpenedV2ToV3 on a v2 payload")
	for _, bad := range []struct {
		step bank.Upcaster
		name string
		data string
	}{
		{bank.AccountOpenedV1ToV2, "AccountOpenedV1ToV2", `{"account_id":"x","kind":"checking","currency":"EUR","overdraft_limit":0}`},
		{bank.AccountOpenedV1ToV2, "AccountOpenedV1ToV2", `{"account_id":"x","owner":42,"kind":"checking"}`},
		{bank.AccountOpenedV1ToV2, "AccountOpenedV1ToV2", `{"account_id":"x","owner":null,"kind":"checking"}`},
		{bank.AccountOpenedV2ToV3, "AccountOpenedV2ToV3", `{"account_id":"x","owner":"Ada","kind":"checking"}`},
		{bank.AccountOpenedV2ToV3, "AccountOpenedV2ToV3", `{"account_id":"x","holder":"Ada","kind":"checking"}`},
		{bank.AccountOpenedV2ToV3, "AccountOpenedV2ToV3", `{"account_id":"x","holder":{"type":"person"}}`},
		{bank.AccountOpenedV2ToV3, "AccountOpenedV2ToV3", `{"account_id":"x","holder":{"name":7,"type":"person"}}`},
	} {
		c.Doing("%s(%s)", bad.name, bad.data)
		out, err := bad.step(object(c, []byte(bad.data)))
		c.That(err != nil, "an error: the step cannot turn this payload, and a guess would be a fact nobody wrote", "no error: "+jsonText(out))
	}
}
