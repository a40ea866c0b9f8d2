package bank

import (
	"context"
	"fmt"
)

// The schemas report answers the question every upcaster raises: when can it go?
// When no store the code reads holds a row of the version it upcasts (after a
// copy-and-replace, say). GET /schemas shows, per event type, the version this
// code writes, its old names, and how many stored rows of each name and version
// there are.

// SchemaReport is the answer of GET /schemas.
type SchemaReport struct {
	Types   []TypeSchema  `json:"types"`
	Unknown []StoredCount `json:"unknown"` // rows of a name no registered type reads: they are parked, never read
}

// TypeSchema is one registered type and the rows stored for it.
type TypeSchema struct {
	SchemaInfo
	Stored []StoredCount `json:"stored"` // by stored name, then schema version
}

// StoredCount is how many rows are stored under one name and schema version.
type StoredCount struct {
	Type          string `json:"type"`
	SchemaVersion int    `json:"schema_version"`
	Events        int64  `json:"events"`
}

// Schemas reports the registered types and the rows stored for each.
func (s *EventStore) Schemas(ctx context.Context) (SchemaReport, error) {
	report := SchemaReport{Unknown: []StoredCount{}}
	index := map[string]int{} // a registered name -> its place in report.Types
	for i, info := range s.registry.Schemas() {
		report.Types = append(report.Types, TypeSchema{SchemaInfo: info, Stored: []StoredCount{}})
		index[info.Type] = i
	}
	rows, err := s.db.Read.QueryContext(ctx, `SELECT event_type, schema_version, count(*) FROM events
		GROUP BY event_type, schema_version ORDER BY event_type, schema_version`)
	if err != nil {
		return SchemaReport{}, fmt.Errorf("count the stored schema versions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c StoredCount
		if err := rows.Scan(&c.Type, &c.SchemaVersion, &c.Events); err != nil {
			return SchemaReport{}, fmt.Errorf("count the stored schema versions: %w", err)
		}
		reg, err := s.registry.lookup(c.Type)
		if err != nil {
			report.Unknown = append(report.Unknown, c)
			continue
		}
		t := &report.Types[index[reg.name]]
		t.Stored = append(t.Stored, c)
	}
	return report, rows.Err()
}
