package main

import (
	"time"
)

// An account's stream as GET /accounts/{id}/events answers it (stage 2 on), and
// its table: what a demo shows when the question is "why?".

// streamEvent is one event of a stream, with the fields the demos show.
type streamEvent struct {
	Position      int64     `json:"position"`
	Version       int64     `json:"version"`
	Type          string    `json:"type"`
	SchemaVersion int       `json:"schema_version"`
	RecordedAt    time.Time `json:"recorded_at"`
	Metadata      struct {
		CorrelationID string `json:"correlation_id"`
		UserID        string `json:"user_id"`
	} `json:"metadata"`
	Data struct {
		Amount    int64  `json:"amount"`
		Reference string `json:"reference"`
		Holder    struct {
			LegalName string `json:"legal_name"`
		} `json:"holder"` // AccountOpened, from schema version 3
	} `json:"data"`
	StoredAs *struct {
		Type          string `json:"type"`
		SchemaVersion int    `json:"schema_version"`
	} `json:"stored_as"` // stage 7: how an older row was written
}

// movement is the event's effect on the balance: + in, - out, 0 for the rest.
func (e streamEvent) movement() int64 {
	switch e.Type {
	case "MoneyDeposited":
		return e.Data.Amount
	case "MoneyWithdrawn":
		return -e.Data.Amount
	}
	return 0
}

// readStream is the stream of account id, and the raw answer.
func readStream(srv *demoServer, id string) ([]streamEvent, []byte, error) {
	var stream struct {
		Events []streamEvent `json:"events"`
	}
	raw, err := srv.get("/accounts/"+id+"/events", &stream)
	return stream.Events, raw, err
}

// eventTable is a stream, an event a line: where it is, what it is, the
// money it moved and why, and when it was recorded.
func eventTable(events []streamEvent) *table {
	t := newTable("position", "version", "type", "amount", "reference", "recorded_at", "correlation_id")
	for _, e := range events {
		amount := ""
		if m := e.movement(); m != 0 {
			amount = signed(m)
		}
		t.add(e.Position, e.Version, e.Type, amount, e.Data.Reference, e.RecordedAt.UTC().Format("2006-01-02 15:04:05.000"), e.Metadata.CorrelationID)
	}
	return t
}
