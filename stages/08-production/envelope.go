package bank

import "time"

// Envelope is an event as stored: the fact itself plus where it sits in its
// stream and in the global log, when it was recorded, and where it came from
// (Metadata).
type Envelope struct {
	EventID       string    `json:"event_id"` // UUIDv7: time-ordered, so the unique index stays compact
	StreamID      string    `json:"stream_id"`
	Version       int64     `json:"version"`        // 1, 2, 3... within the stream, without gaps
	Position      int64     `json:"position"`       // global order across all streams
	Type          string    `json:"type"`           // the registry name the event has now
	SchemaVersion int       `json:"schema_version"` // the version of Event: the current one
	RecordedAt    time.Time `json:"recorded_at"`
	Metadata      Metadata  `json:"metadata"`
	Event         Event     `json:"data"`
	// StoredAs is how the row was written, when that was an older name or
	// version than Type and SchemaVersion: the row itself is never changed.
	StoredAs *StoredAs `json:"stored_as,omitempty"`
}

// StoredAs is the name and schema version a row was written with.
type StoredAs struct {
	Type          string `json:"type"`
	SchemaVersion int    `json:"schema_version"`
}

// Metadata says where an event came from: the conversation, the command and the
// person behind it. It is not part of the fact, and it is not the business reason
// either (a payment's reason is its reference, inside the fact); it is what lets
// someone trace a fact back to the request that caused it.
type Metadata struct {
	CorrelationID string `json:"correlation_id"` // the whole conversation, shared by everything it caused
	CausationID   string `json:"causation_id"`   // the command (request) that directly caused this event
	UserID        string `json:"user_id"`        // who asked
}

// StreamID is the name of an account's stream: "account-" and its id.
func StreamID(accountID string) string { return "account-" + accountID }
