package events_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/exercise"
	bank "github.com/go-es-workshop/kit/stages/02-events"
)

// everyEvent has one of each event type, with its registry name.
var everyEvent = []struct {
	name  string
	event bank.Event
}{
	{"AccountOpened", adaOpened},
	{"MoneyDeposited", bank.MoneyDeposited{Amount: 2500, Reference: "salary March"}},
	{"MoneyWithdrawn", bank.MoneyWithdrawn{Amount: 1000, Reference: "rent"}},
	{"MoneyDeposited", bank.MoneyDeposited{Amount: 700}},
	{"AccountClosed", bank.AccountClosed{}},
	{"OpeningBalanceMigrated", bank.OpeningBalanceMigrated{Balance: -4000, Source: "legacy"}},
}

func Test2_2_EventsAreStoredUnderTheirRegistryNames(t *testing.T) {
	c := spec.For(t, stage)
	r := bank.NewRegistry()
	for _, tc := range everyEvent {
		c.Doing("Encode(%#v)", tc.event)
		name, version, _, err := r.Encode(tc.event)
		c.NoError(err, "Encode")
		c.That(name == tc.name && version == 1, fmt.Sprintf("name %q, schema version 1 (an explicit name, not the Go type's)", tc.name),
			fmt.Sprintf("name %q, schema version %d", name, version))
	}
	for _, tc := range []struct {
		event bank.Event
		json  string
	}{
		{bank.MoneyDeposited{Amount: 2500, Reference: "salary March"}, `{"amount":2500,"reference":"salary March"}`},
		{bank.MoneyDeposited{Amount: 2500}, `{"amount":2500}`},
	} {
		c.Doing("Encode(%#v)", tc.event)
		_, _, data, err := r.Encode(tc.event)
		c.NoError(err, "Encode")
		c.Equal(tc.json, string(data), "the JSON")
	}
}

func Test2_2_EventsRoundTripThroughTheRegistry(t *testing.T) {
	c := spec.For(t, stage)
	r := bank.NewRegistry()
	for _, tc := range everyEvent {
		c.Doing("Encode then Decode %#v", tc.event)
		name, _, data, err := r.Encode(tc.event)
		c.NoError(err, "Encode")
		back, err := r.Decode(name, data)
		c.NoError(err, "Decode")
		c.That(back == tc.event, fmt.Sprintf("%#v", tc.event), fmt.Sprintf("%#v", back))
	}
}

func Test2_2_UnknownNamesAreRefused(t *testing.T) {
	c := spec.For(t, stage)
	c.Doing(`Decode("MoneyTeleported", {"amount":5})`)
	_, err := bank.NewRegistry().Decode("MoneyTeleported", []byte(`{"amount":5}`))
	c.That(errors.Is(err, bank.ErrUnknownEventType), "an error wrapping ErrUnknownEventType", fmt.Sprintf("%v", err))
}

// Test2_2_DataThatIsNotTheEventIsRefused: a stored payload that does not decode is
// an error, never a zero-valued event (a deposit of 0 that nobody made).
func Test2_2_DataThatIsNotTheEventIsRefused(t *testing.T) {
	c := spec.For(t, stage)
	r := bank.NewRegistry()
	for _, data := range []string{`{"amount":`, `{"amount":"five"}`, `[1,2]`, ``} {
		c.Doing("Decode(%q, %q)", "MoneyDeposited", data)
		e, err := r.Decode("MoneyDeposited", []byte(data))
		if todo, ok := exercise.IsTodo(err); ok {
			c.NoError(todo, "Decode")
		}
		c.That(err != nil, "an error naming the event", fmt.Sprintf("no error, event %#v", e))
	}
}
