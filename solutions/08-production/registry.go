package bank

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
)

// The registry decides how an event is named and shaped in storage. Names are
// written out by hand ("MoneyDeposited"), never taken from Go with reflection or %T:
// a stored name must survive renaming a Go type or moving it to another package.
//
// Stored rows are never changed, so the registry reads every name and schema
// version ever written: an old name through an alias, an old version through
// its type's chain of upcasters (upcasting.go). It writes only current ones.

// ErrUnknownEventType means an event type is not registered.
var ErrUnknownEventType = errors.New("unknown event type")

// Registry maps event names to Go types and back.
type Registry struct {
	byName  map[string]registration
	byType  map[reflect.Type]registration
	aliases map[string]string // a name rows were once stored under -> the name of their type now
}

type registration struct {
	name   string
	chain  Chain // from schema version 1 to the one this code writes
	decode func(data []byte) (Event, error)
}

// version is the schema version this code writes.
func (reg registration) version() int { return reg.chain.Version() }

// NewRegistry returns the registry of the bank's events.
func NewRegistry() *Registry {
	r := &Registry{byName: map[string]registration{}, byType: map[reflect.Type]registration{}, aliases: map[string]string{}}
	register[AccountOpened](r, "AccountOpened", AccountOpenedV1ToV2, AccountOpenedV2ToV3)
	register[MoneyDeposited](r, "MoneyDeposited")
	register[MoneyWithdrawn](r, "MoneyWithdrawn")
	register[AccountClosed](r, "AccountClosed")
	register[OpeningBalanceMigrated](r, "OpeningBalanceMigrated")
	register[PersonalDataForgotten](r, "PersonalDataForgotten")
	// The first release spoke like a ledger. The team renamed these events to the
	// words tellers use; the rows it wrote keep the names they were written with.
	r.alias("AccountCredited", "MoneyDeposited")
	r.alias("AccountDebited", "MoneyWithdrawn")
	return r
}

// register adds event type E under name. Its schema version is the number of
// upcasters plus one: each upcaster turns one version into the next, oldest first.
func register[E Event](r *Registry, name string, upcasters ...Upcaster) {
	required := requiredFields[E]()
	reg := registration{name: name, chain: upcasters, decode: func(data []byte) (Event, error) {
		return decodeStrictly[E](data, required)
	}}
	r.byName[name] = reg
	r.byType[reflect.TypeFor[E]()] = reg
}

// alias makes rows stored under old read as the registered type current. Only
// reading: new events are written under the current name.
func (r *Registry) alias(old, current string) {
	r.aliases[old] = current
}

// NameOf returns the registered name of an event's type, and the schema version
// this code writes it at.
func (r *Registry) NameOf(e Event) (name string, schemaVersion int, err error) {
	reg, ok := r.byType[reflect.TypeOf(e)]
	if !ok {
		return "", 0, fmt.Errorf("%w: %T is not registered", ErrUnknownEventType, e)
	}
	return reg.name, reg.version(), nil
}

// Encode returns the registered name, schema version and JSON of an event.
func (r *Registry) Encode(e Event) (name string, schemaVersion int, data []byte, err error) {
	//exercise:begin 2.2 Look the event's Go type up in r.byType and return its registered name, schema version and JSON.
	if name, schemaVersion, err = r.NameOf(e); err != nil {
		return "", 0, nil, err
	}
	data, err = json.Marshal(e)
	if err != nil {
		return "", 0, nil, fmt.Errorf("encode %s: %w", name, err)
	}
	return name, schemaVersion, data, nil
	//exercise:stub return "", 0, nil, exercise.Todo("2.2")
	//exercise:end
}

// Decode turns a stored row (its name, schema version and JSON) back into an
// event of the current version.
func (r *Registry) Decode(name string, schemaVersion int, data []byte) (Event, error) {
	//exercise:begin 2.2 Look the name up (lookup), bring data to the current version (the chain), decode it and check it (checkEvent).
	reg, err := r.lookup(name)
	if err != nil {
		return nil, err
	}
	current, err := reg.chain.Upcast(schemaVersion, data)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", name, err)
	}
	e, err := reg.decode(current)
	if err != nil {
		return nil, fmt.Errorf("decode %s v%d: %w", reg.name, reg.version(), err)
	}
	if err := checkEvent(e); err != nil {
		return nil, fmt.Errorf("decode %s v%d: %w", reg.name, reg.version(), err)
	}
	return e, nil
	//exercise:stub return nil, exercise.Todo("2.2")
	//exercise:end
}

// lookup finds the registration of a stored name: a name in use, or an alias.
func (r *Registry) lookup(name string) (registration, error) {
	if reg, ok := r.byName[name]; ok {
		return reg, nil
	}
	//exercise:begin 7.3 A name no type has now may be an old one: find it in r.aliases, and return the registration of the name it stands for.
	if current, ok := r.aliases[name]; ok {
		return r.byName[current], nil
	}
	//exercise:stub if _, old := r.aliases[name]; old {
	//exercise:stub 	return registration{}, exercise.Todo("7.3")
	//exercise:stub }
	//exercise:end
	return registration{}, fmt.Errorf("%w: %q", ErrUnknownEventType, name)
}

// SchemaInfo is one event type as the registry reads and writes it.
type SchemaInfo struct {
	Type          string   `json:"type"`
	SchemaVersion int      `json:"schema_version"` // the version written now; every one below it is upcast on read
	Aliases       []string `json:"aliases"`        // older names, read as this type
}

// Schemas lists the registered types by name.
func (r *Registry) Schemas() []SchemaInfo {
	out := make([]SchemaInfo, 0, len(r.byName))
	for name, reg := range r.byName {
		out = append(out, SchemaInfo{Type: name, SchemaVersion: reg.version(), Aliases: []string{}})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	for old, current := range r.aliases {
		for i := range out {
			if out[i].Type == current {
				out[i].Aliases = append(out[i].Aliases, old)
				sort.Strings(out[i].Aliases)
			}
		}
	}
	return out
}
