package bank

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// The registry decides how an event is named and shaped in storage. Names are
// written out by hand ("MoneyDeposited"), never taken from Go with reflection or %T:
// a stored name must survive renaming a Go type or moving it to another package.

// ErrUnknownEventType means an event type is not registered.
var ErrUnknownEventType = errors.New("unknown event type")

// Registry maps event names to Go types and back.
type Registry struct {
	byName map[string]registration
	byType map[reflect.Type]registration
}

type registration struct {
	name          string
	schemaVersion int
	decode        func(data []byte) (Event, error)
}

// NewRegistry returns the registry of the bank's events.
func NewRegistry() *Registry {
	r := &Registry{byName: map[string]registration{}, byType: map[reflect.Type]registration{}}
	register[AccountOpened](r, "AccountOpened", 1)
	register[MoneyDeposited](r, "MoneyDeposited", 1)
	register[MoneyWithdrawn](r, "MoneyWithdrawn", 1)
	register[AccountClosed](r, "AccountClosed", 1)
	register[OpeningBalanceMigrated](r, "OpeningBalanceMigrated", 1)
	return r
}

// register adds event type E under name, at the given schema version.
func register[E Event](r *Registry, name string, schemaVersion int) {
	reg := registration{name: name, schemaVersion: schemaVersion, decode: func(data []byte) (Event, error) {
		var e E
		err := json.Unmarshal(data, &e)
		return e, err
	}}
	r.byName[name] = reg
	r.byType[reflect.TypeFor[E]()] = reg
}

// Encode returns the registered name, schema version and JSON of an event.
func (r *Registry) Encode(e Event) (name string, schemaVersion int, data []byte, err error) {
	//exercise:begin 2.2 Look the event's Go type up in r.byType and return its registered name, schema version and JSON.
	reg, ok := r.byType[reflect.TypeOf(e)]
	if !ok {
		return "", 0, nil, fmt.Errorf("%w: %T is not registered", ErrUnknownEventType, e)
	}
	data, err = json.Marshal(e)
	if err != nil {
		return "", 0, nil, fmt.Errorf("encode %s: %w", reg.name, err)
	}
	return reg.name, reg.schemaVersion, data, nil
	//exercise:stub return "", 0, nil, exercise.Todo("2.2")
	//exercise:end
}

// Decode turns a stored name and JSON back into an event.
func (r *Registry) Decode(name string, data []byte) (Event, error) {
	//exercise:begin 2.2 Look the name up in r.byName and decode data with the registration's decode function.
	reg, ok := r.byName[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownEventType, name)
	}
	e, err := reg.decode(data)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", name, err)
	}
	return e, nil
	//exercise:stub return nil, exercise.Todo("2.2")
	//exercise:end
}
