package production_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// Task 7.1: a chain of upcasters brings a stored payload from its version to
// the current one, each step once and in order.

// recordingChain is a chain of steps to version 4 that each check they are given
// the version they turn, and note themselves in the payload's trail; calls counts
// the steps run.
func recordingChain(calls *int) bank.Chain {
	step := func(from int) bank.Upcaster {
		return func(old map[string]any) (map[string]any, error) {
			*calls++
			if at := fmt.Sprint(old["at"]); at != fmt.Sprint(from) {
				return nil, fmt.Errorf("the step from v%d was given a payload at v%s", from, at)
			}
			trail, _ := old["trail"].(string)
			return map[string]any{"at": from + 1, "trail": trail + fmt.Sprintf("v%d>v%d ", from, from+1), "big": old["big"]}, nil
		}
	}
	return bank.Chain{step(1), step(2), step(3)}
}

func TestGuard_AChainRunsEachStepOnceInOrderFromTheStoredVersion(t *testing.T) {
	c := spec.Guard(t, stage, "upcasting.go", "a chain runs each step once in order from the stored version")
	for stored := 1; stored <= 3; stored++ {
		var calls int
		chain := recordingChain(&calls)
		c.Doing("Upcast a payload stored at v%d through a chain to v%d", stored, chain.Version())
		got, err := chain.Upcast(stored, []byte(fmt.Sprintf(`{"at":%d,"trail":"","big":1}`, stored)))
		c.NoError(err, "Upcast")
		var want strings.Builder
		for v := stored; v < 4; v++ {
			fmt.Fprintf(&want, "v%d>v%d ", v, v+1)
		}
		c.That(sameJSON(got, []byte(fmt.Sprintf(`{"at":4,"trail":%q,"big":1}`, want.String()))),
			fmt.Sprintf("the payload at v4 after the steps %s(each once, oldest first)", want.String()), string(got))
		c.Equal(4-stored, calls, "steps run")
	}
}

func TestGuard_AVersionThisCodeNeverWroteIsRefused(t *testing.T) {
	c := spec.Guard(t, stage, "upcasting.go", "a version this code never wrote is refused")
	for _, stored := range []int{0, -1, 5, 99} {
		var calls int
		c.Doing("Upcast a payload that says it is at v%d, through a chain of versions 1 to 4", stored)
		got, err := recordingChain(&calls).Upcast(stored, []byte(`{"at":1,"trail":""}`))
		c.ErrorIs(err, bank.ErrSchemaVersion, fmt.Sprintf("an error wrapping ErrSchemaVersion (v%d was never written by this code: no version, or a newer release's), not %s", stored, got))
		c.Equal(0, calls, "steps run")
	}
}

func TestGuard_AStepThatRefusesStopsTheChain(t *testing.T) {
	c := spec.Guard(t, stage, "upcasting.go", "a step that refuses stops the chain")
	refused := errors.New("no holder in this payload")
	var later int
	chain := bank.Chain{
		func(old map[string]any) (map[string]any, error) { return map[string]any{"at": 2}, nil },
		func(old map[string]any) (map[string]any, error) { return nil, refused },
		func(old map[string]any) (map[string]any, error) { later++; return old, nil },
	}
	c.Doing("Upcast from v1 through a chain whose step from v2 to v3 refuses")
	got, err := chain.Upcast(1, []byte(`{"at":1}`))
	c.ErrorIs(err, refused, "the step's error, wrapped, not "+string(got))
	c.That(strings.Contains(err.Error(), "v2") && strings.Contains(err.Error(), "v3"), "an error naming the step (v2 to v3)", err.Error())
	c.Equal(0, later, "steps run after the one that refused")
}

func TestGuard_APayloadThatIsNotOneJSONObjectIsRefused(t *testing.T) {
	c := spec.Guard(t, stage, "upcasting.go", "a payload that is not one j s o n object is refused")
	var ran int
	c.Doing("Upcast a JSON object stored at v3")
	_, err := recordingChain(&ran).Upcast(3, []byte(`{"at":3,"trail":""}`))
	c.NoError(err, "Upcast (one JSON object: the shape of every payload)")
	for _, data := range []string{`[1,2]`, `null`, `"owner"`, `42`, `{"at":1`, `{"at":1} {"at":2}`, ``} {
		var calls int
		c.Doing("Upcast %q stored at v1", data)
		got, err := recordingChain(&calls).Upcast(1, []byte(data))
		c.That(err != nil, "an error: an event's payload is one JSON object", "no error: "+string(got))
		c.Equal(0, calls, "steps run (none: decodePayload refuses what is not one JSON object, before the first step)")
	}
	c.Doing("Upcast %q stored at v1: the JSON is cut short", `{"at":1`)
	_, err = recordingChain(&ran).Upcast(1, []byte(`{"at":1`))
	c.That(err != nil && strings.Contains(err.Error(), "unexpected EOF"),
		"an error that says what is wrong with the JSON (decodePayload's, naming the parser's unexpected EOF): the operator fixes the row from it", fmt.Sprint(err))
}

func TestGuard_DecodeRefusesARowAtAVersionThisCodeNeverWrote(t *testing.T) {
	c := spec.Guard(t, stage, "upcasting.go", "decode refuses a row at a version this code never wrote")
	c.KeptBy("registry.go (Decode)")
	v3 := []byte(`{"account_id":"` + adaID + `","holder":{"legal_name":"Ada Lovelace","type":"person"},"kind":"checking","currency":"EUR","overdraft_limit":0}`)
	c.Doing("Decode an AccountOpened stored at v3, the current version")
	_, err := bank.NewRegistry().Decode("AccountOpened", 3, v3)
	c.NoError(err, "Decode")
	for _, version := range []int{0, 4, 9} {
		c.Doing("Decode the same payload, stored as AccountOpened v%d", version)
		e, err := bank.NewRegistry().Decode("AccountOpened", version, v3)
		c.ErrorIs(err, bank.ErrSchemaVersion, fmt.Sprintf("an error wrapping ErrSchemaVersion (the chain's), not %+v", e))
	}
}

func TestGuard_NumbersCrossTheChainExactly(t *testing.T) {
	c := spec.Guard(t, stage, "upcasting.go", "numbers cross the chain exactly")
	var calls int
	c.Doing("Upcast from v3 a payload holding 9007199254740993 (2^53 + 1)")
	got, err := recordingChain(&calls).Upcast(3, []byte(`{"at":3,"trail":"","big":9007199254740993}`))
	c.NoError(err, "Upcast")
	c.That(strings.Contains(string(got), `"big":9007199254740993`),
		"big still 9007199254740993 (a float64 on the way rounds it to ...992: decodePayload keeps numbers exact)", string(got))
}
