package bank

import (
	"fmt"
	"maps"
)

// The schema versions of AccountOpened, oldest first. Fixtures of each are in
// exercises_test/08-production/testdata/events.
//
//	v1 {"account_id", "owner":"Ada Lovelace", "kind", "currency", "overdraft_limit"}
//	v2 the bank opens accounts for companies: the owner becomes a holder,
//	   {"holder":{"name":"Ada Lovelace","type":"person"}}; every v1 holder was a person
//	v3 compliance asks for the name on the papers: {"holder":{"legal_name":...,"type":...}}

// AccountOpenedV1ToV2 turns the owner into a holder, a person: before v2 the
// bank opened accounts for people only, so that is what v1 means, not a guess.
func AccountOpenedV1ToV2(v1 map[string]any) (map[string]any, error) {
	owner, ok := v1["owner"].(string)
	if !ok {
		return nil, fmt.Errorf("v1 AccountOpened needs an owner (a string), got %v", v1["owner"])
	}
	v2 := maps.Clone(v1)
	delete(v2, "owner")
	v2["holder"] = map[string]any{"name": owner, "type": string(Person)}
	return v2, nil
}

// AccountOpenedV2ToV3 renames the holder's name to legal_name.
func AccountOpenedV2ToV3(v2 map[string]any) (map[string]any, error) {
	holder, ok := v2["holder"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("v2 AccountOpened needs a holder (an object), got %v", v2["holder"])
	}
	name, ok := holder["name"].(string)
	if !ok {
		return nil, fmt.Errorf("v2 AccountOpened needs holder.name (a string), got %v", holder["name"])
	}
	newHolder := maps.Clone(holder)
	delete(newHolder, "name")
	newHolder["legal_name"] = name
	v3 := maps.Clone(v2)
	v3["holder"] = newHolder
	return v3, nil
}
