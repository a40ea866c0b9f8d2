package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// LogEvent is one line of the global log: the facts a presenter points at, short
// enough to read from the back of a room.
type LogEvent struct {
	Position    int64  `json:"position"`
	Stream      string `json:"stream"`
	Version     int64  `json:"version"`
	Type        string `json:"type"`
	Schema      int64  `json:"schema"`           // the schema version it was stored with
	Amount      *int64 `json:"amount,omitempty"` // minor units, as stored
	Detail      string `json:"detail,omitempty"` // the reference, the owner, a migrated balance
	Correlation string `json:"correlation,omitempty"`
	RecordedAt  string `json:"recorded_at"`
}

// logLimit is how many of the newest events a snapshot carries.
const logLimit = 50

// readLog reads the newest events, newest first. The primary key is the
// position, so this reads limit rows and no more, however long the log.
func readLog(ctx context.Context, q querier, eventColumns map[string]bool) ([]LogEvent, error) {
	rows, err := q.QueryContext(ctx, `SELECT global_position, stream_id, version, event_type, `+schemaColumn(eventColumns)+`,
		data, metadata, recorded_at FROM events ORDER BY global_position DESC LIMIT ?`, logLimit)
	if err != nil {
		return nil, fmt.Errorf("read the log: %w", err)
	}
	defer rows.Close()
	out := []LogEvent{}
	for rows.Next() {
		var e LogEvent
		var data, metadata string
		if err := rows.Scan(&e.Position, &e.Stream, &e.Version, &e.Type, &e.Schema, &data, &metadata, &e.RecordedAt); err != nil {
			return nil, fmt.Errorf("read the log: %w", err)
		}
		e.Amount, e.Detail = summarize(data)
		e.Correlation = correlationOf(metadata)
		out = append(out, e)
	}
	return out, rows.Err()
}

// schemaColumn is the events' schema_version, or 1 in a database older than it.
func schemaColumn(eventColumns map[string]bool) string {
	if eventColumns["schema_version"] {
		return "schema_version"
	}
	return "1"
}

// summarize picks what a line of the log shows of an event's data: its amount,
// and the reference, the owner (as every schema version of AccountOpened names
// it) or a migrated balance. Data that is not a JSON object shows as nothing.
func summarize(data string) (*int64, string) {
	var d struct {
		Amount    *int64 `json:"amount"`
		Reference string `json:"reference"`
		Owner     string `json:"owner"` // AccountOpened v1
		Holder    struct {
			Name      string `json:"name"`       // v2
			LegalName string `json:"legal_name"` // v3
		} `json:"holder"`
		Balance *int64 `json:"balance"` // OpeningBalanceMigrated
	}
	if json.Unmarshal([]byte(data), &d) != nil {
		return nil, ""
	}
	return d.Amount, cut(detailOf(d.Reference, d.Owner, d.Holder.LegalName, d.Holder.Name, d.Balance), maxDetailRunes)
}

// detailOf is the first of the texts that an event has.
func detailOf(reference, owner, legalName, name string, balance *int64) string {
	switch {
	case reference != "":
		return reference
	case owner != "":
		return owner
	case legalName != "":
		return legalName
	case name != "":
		return name
	case balance != nil:
		return fmt.Sprintf("balance %d", *balance)
	}
	return ""
}

// maxDetailRunes is as long as a stage lets a reference be.
const maxDetailRunes = 140

// cut shortens s to n characters, the last of them an ellipsis.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// correlationOf is the correlation id in an event's metadata, if it has one.
func correlationOf(metadata string) string {
	var m struct {
		CorrelationID string `json:"correlation_id"`
	}
	_ = json.Unmarshal([]byte(metadata), &m)
	return m.CorrelationID
}
