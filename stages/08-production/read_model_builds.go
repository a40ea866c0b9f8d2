package bank

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Every read model exists in up to two builds, blue and green, each with its own
// copy of the tables (accounts_by_owner_blue, accounts_by_owner_green). One is
// live: a view named after each table (accounts_by_owner) shows its rows, and
// every query reads the view, so no query ever names a build. The other is empty,
// or being rebuilt. The table read_models says which build is live, which version
// of the projection built it, and which build is being rebuilt.

const readModelsSchema = `
CREATE TABLE IF NOT EXISTS read_models (
	projection       TEXT PRIMARY KEY,
	live             TEXT NOT NULL CHECK (live IN ('blue', 'green')),
	live_version     INTEGER NOT NULL,
	building         TEXT CHECK (building IN ('blue', 'green')),
	building_version INTEGER
)`

// A build's checkpoint: the position of the last event it applied.
const checkpointsSchema = `
CREATE TABLE IF NOT EXISTS checkpoints (
	projection TEXT NOT NULL,
	build      TEXT NOT NULL,
	position   INTEGER NOT NULL,
	PRIMARY KEY (projection, build)
)`

// The two builds.
const (
	blue  = "blue"
	green = "green"
)

// other is the build that is not color.
func other(color string) string {
	if color == blue {
		return green
	}
	return blue
}

// build is one copy of a read model: its color, the version of the projection
// that builds it, and how far it has got.
type build struct {
	color      string
	version    int
	checkpoint int64
}

// ReadModelTx is a projection's transaction on one build of its read model. Its
// statements name the read model's tables in braces, {accounts_by_owner}, and run
// on that build's tables, accounts_by_owner_blue.
type ReadModelTx struct {
	tx    *sql.Tx
	names *strings.Replacer
}

// Exec runs a statement on the build's tables.
func (m ReadModelTx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return m.tx.ExecContext(ctx, m.names.Replace(query), args...)
}

// QueryRow runs a query that returns one row on the build's tables.
func (m ReadModelTx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return m.tx.QueryRowContext(ctx, m.names.Replace(query), args...)
}

// on is the read model's build color, on tx.
func (p Projection) on(tx *sql.Tx, color string) ReadModelTx {
	var pairs []string
	for _, table := range p.Tables {
		pairs = append(pairs, "{"+table+"}", table+"_"+color)
	}
	return ReadModelTx{tx: tx, names: strings.NewReplacer(pairs...)}
}

// create makes the tables of build color, empty, and its checkpoint 0.
func (p Projection) create(ctx context.Context, tx *sql.Tx, color string) error {
	if err := p.drop(ctx, tx, color); err != nil {
		return err
	}
	rm := p.on(tx, color)
	for _, statement := range p.Schema {
		if _, err := rm.Exec(ctx, statement); err != nil {
			return fmt.Errorf("create its read model: %w", err)
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO checkpoints (projection, build, position) VALUES (?, ?, 0)
		ON CONFLICT (projection, build) DO UPDATE SET position = 0`, p.Name, color)
	return err
}

// drop removes the tables of build color, if there are any, with their indexes.
func (p Projection) drop(ctx context.Context, tx *sql.Tx, color string) error {
	for _, table := range p.Tables {
		if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS `+table+"_"+color); err != nil {
			return fmt.Errorf("drop build %s of %s: %w", color, table, err)
		}
	}
	return nil
}

// showLive points the read model's views at build color.
func (p Projection) showLive(ctx context.Context, tx *sql.Tx, color string) error {
	for _, table := range p.Tables {
		if _, err := tx.ExecContext(ctx, `DROP VIEW IF EXISTS `+table); err != nil {
			return fmt.Errorf("view %s: %w", table, err)
		}
		if _, err := tx.ExecContext(ctx, `CREATE VIEW `+table+` AS SELECT * FROM `+table+"_"+color); err != nil {
			return fmt.Errorf("view %s: %w", table, err)
		}
	}
	return nil
}

// open reads which build of the read model is live and how far each has got,
// creating the first build of a new projection, dropping the tables of a build
// that is neither live nor being built (left by a crash after a switch), and
// starting a rebuild when the code's Version is not the live build's.
func (r *ProjectionRun) open(ctx context.Context) error {
	tx, err := r.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var building sql.NullString
	var buildingVersion sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT live, live_version, building, building_version FROM read_models WHERE projection = ?`, r.Name).
		Scan(&r.live.color, &r.live.version, &building, &buildingVersion)
	if errors.Is(err, sql.ErrNoRows) {
		err = r.openFirstBuild(ctx, tx)
	}
	if err != nil {
		return fmt.Errorf("read models: %w", err)
	}
	if r.live.checkpoint, err = readCheckpoint(ctx, tx, r.Name, r.live.color); err != nil {
		return err
	}
	switch {
	case building.Valid && int(buildingVersion.Int64) == r.Version:
		next := build{color: building.String, version: r.Version}
		if next.checkpoint, err = readCheckpoint(ctx, tx, r.Name, next.color); err != nil {
			return err
		}
		r.next = &next
	case building.Valid || r.live.version != r.Version: // a rebuild of other code, or a new Version
		if r.next, err = r.startRebuild(ctx, tx, r.live); err != nil {
			return err
		}
	default:
		if err := r.drop(ctx, tx, other(r.live.color)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// openFirstBuild creates the blue build of a new projection and makes it live.
func (r *ProjectionRun) openFirstBuild(ctx context.Context, tx *sql.Tx) error {
	r.live = build{color: blue, version: r.Version}
	if err := r.create(ctx, tx, blue); err != nil {
		return err
	}
	if err := r.showLive(ctx, tx, blue); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO read_models (projection, live, live_version) VALUES (?, ?, ?)`, r.Name, blue, r.Version)
	return err
}

// readCheckpoint is how far build color of projection has got.
func readCheckpoint(ctx context.Context, tx *sql.Tx, projection, color string) (int64, error) {
	var position int64
	err := tx.QueryRowContext(ctx, `SELECT position FROM checkpoints WHERE projection = ? AND build = ?`, projection, color).Scan(&position)
	if err != nil {
		return 0, fmt.Errorf("checkpoint of build %s: %w", color, err)
	}
	return position, nil
}
