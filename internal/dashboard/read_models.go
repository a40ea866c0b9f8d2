package dashboard

import (
	"context"
	"fmt"
	"strconv"
)

// ReadModel is the newest rows of one read model (or of the statement service's
// tables), column by column, as text.
type ReadModel struct {
	Name    string     `json:"name"`
	Source  string     `json:"source"` // the table read: the live build's in stages 6 and 7
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
}

// readModelNames are the tables the stages query, in the order the panel offers
// them. Only these names, and their _blue and _green builds, are ever read.
var readModelNames = []string{
	"accounts_by_owner", "account_transactions", "daily_totals", "accounts_overdrawn",
	"statements", "statement_lines", "processed_messages",
}

const (
	readModelRows = 8
	maxColumns    = 8
	maxValueRunes = 120
)

// readReadModels reads the newest rows of every read model the database has.
// rowid order is insertion order, so the newest rows come first, read from the
// end of the table: a bounded read, however many rows there are.
func readReadModels(ctx context.Context, q querier, s schema) ([]ReadModel, error) {
	var out []ReadModel
	for _, name := range readModelNames {
		source, ok := s.source(name)
		if !ok {
			continue
		}
		m, err := readRows(ctx, q, name, source)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// readRows reads the newest rows of table source. source is one of the names
// readModelNames allows (schema.source checks it), never text from a request.
func readRows(ctx context.Context, q querier, name, source string) (ReadModel, error) {
	m := ReadModel{Name: name, Source: source, Rows: [][]string{}}
	rows, err := q.QueryContext(ctx, `SELECT * FROM "`+source+`" ORDER BY rowid DESC LIMIT ?`, readModelRows)
	if err != nil {
		return m, fmt.Errorf("read %s: %w", source, err)
	}
	defer rows.Close()
	columns, err := rows.Columns()
	if err != nil {
		return m, err
	}
	m.Columns = columns[:min(len(columns), maxColumns)]
	values := make([]any, len(columns))
	pointers := make([]any, len(columns))
	for i := range values {
		pointers[i] = &values[i]
	}
	for rows.Next() {
		if err := rows.Scan(pointers...); err != nil {
			return m, fmt.Errorf("read %s: %w", source, err)
		}
		row := make([]string, len(m.Columns))
		for i := range row {
			row[i] = text(values[i])
		}
		m.Rows = append(m.Rows, row)
	}
	return m, rows.Err()
}

// text is a column's value as the page shows it, cut to maxValueRunes.
func text(v any) string {
	var s string
	switch v := v.(type) {
	case nil:
		return ""
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case []byte:
		s = string(v)
	case string:
		s = v
	default:
		s = fmt.Sprint(v)
	}
	return cut(s, maxValueRunes)
}
