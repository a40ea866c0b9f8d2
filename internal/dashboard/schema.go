package dashboard

import (
	"context"
	"database/sql"
	"regexp"
)

// schema is what one stage's database holds, read again for every snapshot: a
// stage server creates its tables when it starts, perhaps after the dashboard
// did, and a rebuild in stages 6 and 7 points a view at another table.
type schema struct {
	tables map[string]bool   // tables by name
	views  map[string]string // views by name, with their SQL
}

// readSchema lists the tables and views. sqlite_master has a row per table, view
// and index: a few dozen rows in any stage.
func readSchema(ctx context.Context, q querier) (schema, error) {
	s := schema{tables: map[string]bool{}, views: map[string]string{}}
	rows, err := q.QueryContext(ctx, `SELECT type, name, COALESCE(sql, '') FROM sqlite_master WHERE type IN ('table', 'view') LIMIT 500`)
	if err != nil {
		return s, err
	}
	defer rows.Close()
	for rows.Next() {
		var kind, name, text string
		if err := rows.Scan(&kind, &name, &text); err != nil {
			return s, err
		}
		if kind == "table" {
			s.tables[name] = true
		} else {
			s.views[name] = text
		}
	}
	return s, rows.Err()
}

// viewSource matches the table a stage's read-model view shows (stages 6 and 7:
// CREATE VIEW accounts_by_owner AS SELECT * FROM accounts_by_owner_blue).
var viewSource = regexp.MustCompile(`(?i)\bFROM\s+["\x60\[]?(\w+)`)

// source is the table to read a read model's rows from: the table itself, or the
// live build's table behind its view. Only a table named name, name_blue or
// name_green qualifies, so no text from the database ever becomes SQL.
func (s schema) source(name string) (string, bool) {
	if s.tables[name] {
		return name, true
	}
	m := viewSource.FindStringSubmatch(s.views[name])
	if m == nil {
		return "", false
	}
	for _, build := range []string{name + "_blue", name + "_green"} {
		if m[1] == build && s.tables[build] {
			return build, true
		}
	}
	return "", false
}

// columns lists a table's columns, for the tables whose shape changed between stages.
func columns(ctx context.Context, q querier, table string) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out[name] = true
	}
	return out, rows.Err()
}

// querier is a connection or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
