package dashboard

import (
	"context"
	"database/sql"
	"fmt"
)

// Projection is how far a projection's read model has got: its checkpoint (the
// last position it applied) and its lag behind the head of the log, the price of
// eventual consistency in events. Stages 6 and 7 keep two builds of each read
// model; Build and Version are the live one's, and Rebuild is the one being
// filled beside it.
type Projection struct {
	Name       string   `json:"name"`
	Build      string   `json:"build,omitempty"`
	Version    int64    `json:"version,omitempty"`
	Checkpoint int64    `json:"checkpoint"`
	Lag        int64    `json:"lag"`
	Rebuild    *Rebuild `json:"rebuild,omitempty"`
}

// Rebuild is a build of a read model being filled from the start of the log.
type Rebuild struct {
	Build      string `json:"build"`
	Version    int64  `json:"version"`
	Checkpoint int64  `json:"checkpoint"`
	Lag        int64  `json:"lag"`
}

// projectionLimit bounds the projections listed: a stage has three or four.
const projectionLimit = 20

// readProjections reads the checkpoints as the stage keeps them: one per
// projection (stages 4 and 5), or one per build with read_models saying which
// build is live (stages 6 and 7). It returns nil when there are none.
func readProjections(ctx context.Context, q querier, s schema, head int64) ([]Projection, error) {
	if !s.tables["checkpoints"] {
		return nil, nil
	}
	if s.tables["read_models"] {
		return readBuilds(ctx, q, head)
	}
	rows, err := q.QueryContext(ctx, `SELECT projection, position FROM checkpoints ORDER BY projection LIMIT ?`, projectionLimit)
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	defer rows.Close()
	out := []Projection{}
	for rows.Next() {
		var p Projection
		if err := rows.Scan(&p.Name, &p.Checkpoint); err != nil {
			return nil, fmt.Errorf("read checkpoints: %w", err)
		}
		p.Lag = lag(head, p.Checkpoint)
		out = append(out, p)
	}
	return out, rows.Err()
}

// readBuilds reads stage 6's read models: the live build's checkpoint, and the
// rebuild's when one runs.
func readBuilds(ctx context.Context, q querier, head int64) ([]Projection, error) {
	rows, err := q.QueryContext(ctx, `SELECT r.projection, r.live, r.live_version, COALESCE(live.position, 0),
		r.building, r.building_version, next.position
		FROM read_models r
		LEFT JOIN checkpoints live ON live.projection = r.projection AND live.build = r.live
		LEFT JOIN checkpoints next ON next.projection = r.projection AND next.build = r.building
		ORDER BY r.projection LIMIT ?`, projectionLimit)
	if err != nil {
		return nil, fmt.Errorf("read read models: %w", err)
	}
	defer rows.Close()
	out := []Projection{}
	for rows.Next() {
		var p Projection
		var building sql.NullString
		var buildingVersion, buildingAt sql.NullInt64
		if err := rows.Scan(&p.Name, &p.Build, &p.Version, &p.Checkpoint, &building, &buildingVersion, &buildingAt); err != nil {
			return nil, fmt.Errorf("read read models: %w", err)
		}
		p.Lag = lag(head, p.Checkpoint)
		if building.Valid {
			p.Rebuild = &Rebuild{Build: building.String, Version: buildingVersion.Int64,
				Checkpoint: buildingAt.Int64, Lag: lag(head, buildingAt.Int64)}
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// lag is how many positions a checkpoint is behind the head. The two are read
// in one transaction, so it is never negative; max keeps it so even so.
func lag(head, checkpoint int64) int64 { return max(head-checkpoint, 0) }
