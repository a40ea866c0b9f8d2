package bank

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Upcasting: a stored event is never rewritten. When the shape of an event type
// changes, its schema version goes up, and a small function (an Upcaster) turns
// a payload of the old version into the new one. Reading a row of version 1 when
// the code writes version 3 runs two of them, in order: v1 -> v2 -> v3. The rows
// stay as they were written; only what the code sees is current.

// Upcaster turns the payload of one schema version into the next version's. It
// is pure: it changes nothing it is given and shares nothing with what it returns
// (the same stored row is read by queries, rebuilds and copies, again and again),
// and it refuses a payload it cannot turn, rather than guess.
type Upcaster func(old map[string]any) (map[string]any, error)

// Chain is the upcasters of one event type, oldest first: Chain[0] turns
// version 1 into 2, Chain[1] turns 2 into 3.
type Chain []Upcaster

// Version is the schema version the chain leads to: the one the code writes. It
// is one more than the upcasters, so a version cannot exist without its upcaster.
func (c Chain) Version() int { return len(c) + 1 }

// ErrSchemaVersion means a row's schema version is not one this code can read.
var ErrSchemaVersion = errors.New("unreadable schema version")

// Upcast brings a stored payload of schema version stored to c.Version(). A
// payload already current is returned as it is.
func (c Chain) Upcast(stored int, data []byte) ([]byte, error) {
	if stored == c.Version() {
		return data, nil
	}
	if stored < 1 || stored > c.Version() {
		return nil, fmt.Errorf("%w: versions 1 to %d are readable, the row says %d", ErrSchemaVersion, c.Version(), stored)
	}
	payload, err := decodePayload(data)
	if err != nil {
		return nil, err
	}
	for v := stored; v < c.Version(); v++ {
		if payload, err = c[v-1](payload); err != nil {
			return nil, fmt.Errorf("upcast v%d to v%d: %w", v, v+1, err)
		}
	}
	return json.Marshal(payload)
}

// decodePayload reads a stored payload as a JSON object. Numbers stay exact
// (json.Number): through float64, an amount above 2^53 would change by itself.
func decodePayload(data []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var payload map[string]any
	if err := d.Decode(&payload); err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	if payload == nil {
		return nil, errors.New("payload: not a JSON object")
	}
	if d.More() {
		return nil, errors.New("payload: more than one JSON value")
	}
	return payload, nil
}
