package events_test

import (
	"context"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/02-events"
)

// stage is the folder these tests check: stages/02-events.
const stage = "02-events"

// newAPI starts stage 2's server on a fresh database, in process.
func newAPI(t *testing.T) (*spec.API, *sqlitedb.DB) {
	return spec.StartAPI(t, bank.NewServer)
}

// newStore opens an event store on a fresh database.
func newStore(t *testing.T) (*bank.EventStore, *sqlitedb.DB) {
	t.Helper()
	db := spec.OpenDB(t)
	store, err := bank.NewEventStore(context.Background(), db, bank.NewRegistry())
	if err != nil {
		t.Fatalf("creating the event store: %v", err)
	}
	return store, db
}

// countEvents counts every stored event.
func countEvents(c *spec.Check, db *sqlitedb.DB) int {
	var n int
	c.NoError(db.Read.QueryRow(`SELECT COUNT(*) FROM events`).Scan(&n), "counting events")
	return n
}

// meta is the metadata the store tests append with.
var meta = bank.Metadata{CorrelationID: "corr-1", CausationID: "cmd-1", UserID: "ada"}

// envelopes wraps events as a stream's history, versions 1, 2, 3...
func envelopes(streamID string, events ...bank.Event) []bank.Envelope {
	out := make([]bank.Envelope, len(events))
	for i, e := range events {
		out[i] = bank.Envelope{StreamID: streamID, Version: int64(i + 1), Position: int64(i + 1), Event: e}
	}
	return out
}
