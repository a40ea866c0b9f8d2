package production_test

import (
	"encoding/json"
	"reflect"
	"testing"

	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// Fuzz targets: go test runs their seeds (the fixtures and a few hostile rows)
// as tests; make test also fuzzes each for a few seconds (kit fuzz). Found
// inputs that fail are written to testdata/fuzz and stay as seeds.

// fuzzSeeds is every fixture as stored, for f.Add.
func fuzzSeeds(f *testing.F) []fixture {
	out, err := readFixtures()
	if err != nil {
		f.Fatalf("reading the fixtures in testdata/events: %v", err)
	}
	return out
}

// sourceKeys are the keys a stored payload of a name and version must hold for
// its event to be more than zeros.
func sourceKeys(name string, version int) []string {
	switch {
	case name == "AccountOpened" && version == 1:
		return []string{"account_id", "owner", "kind", "currency", "overdraft_limit"}
	case name == "AccountOpened":
		return []string{"account_id", "holder", "kind", "currency", "overdraft_limit"}
	case name == "OpeningBalanceMigrated":
		return []string{"balance", "source"}
	case name == "AccountClosed", name == "PersonalDataForgotten":
		return nil
	}
	return []string{"amount"} // the money events, under either name
}

func FuzzGuard_DecodingNeverPanicsNorGuesses(f *testing.F) {
	for _, fx := range fuzzSeeds(f) {
		f.Add(fx.Type, fx.SchemaVersion, []byte(fx.Data))
	}
	f.Add("AccountOpened", 0, []byte(`{"account_id":"0190c6a8-7d3e-7a1b-9c2d-3e4f5a6b7c8d"}`))
	f.Add("AccountOpened", 1, []byte(`{"account_id":"0190c6a8-7d3e-7a1b-9c2d-3e4f5a6b7c8d","kind":"checking","currency":"EUR","overdraft_limit":0}`))
	f.Add("AccountOpened", 2, []byte(`{"holder":null}`))
	f.Add("AccountOpened", 4, []byte(`{}`))
	f.Add("MoneyDeposited", 1, []byte(`{"amount":1e400}`))
	f.Add("AccountCredited", 1, []byte(`[]`))
	registry := bank.NewRegistry()
	f.Fuzz(func(t *testing.T, name string, version int, data []byte) {
		e, err := registry.Decode(name, version, data)
		if err != nil {
			return // refusing is always allowed; panicking or guessing is not
		}
		var payload map[string]any
		if json.Unmarshal(data, &payload) != nil || payload == nil {
			t.Fatalf("Decode(%q, %d, %q) = %#v: a payload that is no JSON object read as an event (upcasting.go, task 7.1; registry.go)", name, version, data, e)
		}
		for _, key := range sourceKeys(name, version) {
			if v, ok := payload[key]; !ok || v == nil {
				t.Fatalf("Decode(%q, %d, %q) = %#v without %q in the payload: a silent zero (a version read as another: upcasting.go, task 7.1; or event_checks.go)", name, version, data, e, key)
			}
		}
		current, currentVersion, encoded, err := registry.Encode(e)
		if err != nil {
			t.Fatalf("Encode(%#v): %v", e, err)
		}
		again, err := registry.Decode(current, currentVersion, encoded)
		if err != nil || !reflect.DeepEqual(again, e) {
			t.Fatalf("the event of Decode(%q, %d, %q) does not read back: %#v, then %#v (%v)", name, version, data, e, again, err)
		}
	})
}

func FuzzGuard_UpcastersAreTotalAndPure(f *testing.F) {
	for _, fx := range fuzzSeeds(f) {
		if fx.Type == "AccountOpened" {
			f.Add([]byte(fx.Data))
		}
	}
	f.Add([]byte(`{"owner":{"name":"Ada"},"holder":{"name":["Ada"]}}`))
	f.Add([]byte(`{"holder":{"name":"Ada","legal_name":"Ada L"}}`))
	steps := map[string]bank.Upcaster{"AccountOpenedV1ToV2": bank.AccountOpenedV1ToV2, "AccountOpenedV2ToV3": bank.AccountOpenedV2ToV3}
	f.Fuzz(func(t *testing.T, data []byte) {
		for name, step := range steps {
			var in, before map[string]any
			if json.Unmarshal(data, &in) != nil || in == nil {
				return
			}
			_ = json.Unmarshal(data, &before)
			out, err := step(in)
			if !reflect.DeepEqual(in, before) {
				t.Fatalf("%s(%s) changed its input to %v: an upcaster changes nothing it is given (task 7.2, stages/08-production/upcasters_account_opened.go; make hint TASK=7.2)", name, data, in)
			}
			if err == nil && out == nil {
				t.Fatalf("%s(%s) returned neither a payload nor an error (task 7.2, stages/08-production/upcasters_account_opened.go)", name, data)
			}
		}
	})
}
