package bank

import (
	"github.com/go-es-workshop/kit/internal/exercise"
)

// The schema versions of AccountOpened, oldest first. Fixtures of each are in
// exercises_test/07-upcasting/testdata/events.
//
//	v1 {"account_id", "owner":"Ada Lovelace", "kind", "currency", "overdraft_limit"}
//	v2 the bank opens accounts for companies: the owner becomes a holder,
//	   {"holder":{"name":"Ada Lovelace","type":"person"}}; every v1 holder was a person
//	v3 compliance asks for the name on the papers: {"holder":{"legal_name":...,"type":...}}

// AccountOpenedV1ToV2 turns the owner into a holder, a person: before v2 the
// bank opened accounts for people only, so that is what v1 means, not a guess.
func AccountOpenedV1ToV2(v1 map[string]any) (map[string]any, error) {
	// TODO(7.2): Return a copy of v1 without "owner" and with "holder": {"name": <the
	//   owner>, "type": "person"}; refuse a v1 whose owner is missing or not a string.
	//   Change nothing in v1.
	return nil, exercise.Todo("7.2")
}

// AccountOpenedV2ToV3 renames the holder's name to legal_name.
func AccountOpenedV2ToV3(v2 map[string]any) (map[string]any, error) {
	// TODO(7.2): Return a copy of v2 whose holder has "legal_name" in place of "name";
	//   refuse a v2 without a holder object, or whose holder has no name that is a
	//   string. The holder is a map too: copy it, change nothing in v2.
	return nil, exercise.Todo("7.2")
}
