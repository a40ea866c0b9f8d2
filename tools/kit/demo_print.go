package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// What a demo script prints is read off a projector by a room: numbered steps,
// a line or two of what to say, JSON indented (never one long line), lists as
// short aligned tables.

// presenter writes a demo script's output.
type presenter struct {
	w     io.Writer
	steps int
}

// step starts the next step: what happens now, then what the presenter says.
func (p *presenter) step(what string, say ...string) {
	p.steps++
	fmt.Fprintf(p.w, "\n[%d] %s\n", p.steps, what)
	for _, line := range say {
		fmt.Fprintf(p.w, "    say: %s\n", line)
	}
}

// note prints one indented line of an outcome.
func (p *presenter) note(format string, args ...any) {
	fmt.Fprintln(p.w, strings.TrimRight("    "+fmt.Sprintf(format, args...), " "))
}

// json prints a value, or a JSON answer as the server sent it, indented.
func (p *presenter) json(v any) {
	fmt.Fprintln(p.w, indentLines(prettyJSON(v), "    "))
}

// table prints t, indented like the notes.
func (p *presenter) table(t *table) {
	fmt.Fprint(p.w, indentLines(t.String(), "    ")+"\n")
}

// prettyJSON indents v: raw JSON bytes as they are, anything else marshalled.
func prettyJSON(v any) string {
	raw, ok := v.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return fmt.Sprintf("%v", v)
		}
	}
	var b bytes.Buffer
	if err := json.Indent(&b, bytes.TrimSpace(raw), "", "  "); err != nil {
		return string(raw) // not JSON: shown as it came
	}
	return b.String()
}

// indentLines puts prefix before every line of text.
func indentLines(text, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimRight(text, "\n"), "\n", "\n"+prefix)
}

// table is a few rows under a header, printed in aligned columns; a column of
// whole numbers is aligned right, so amounts line up.
type table struct {
	header []string
	rows   [][]string
}

func newTable(header ...string) *table { return &table{header: header} }

// add appends a row; each cell is printed with fmt's %v.
func (t *table) add(cells ...any) {
	row := make([]string, len(t.header))
	for i := range min(len(cells), len(row)) {
		row[i] = fmt.Sprint(cells[i])
	}
	t.rows = append(t.rows, row)
}

func (t *table) String() string {
	widths := make([]int, len(t.header))
	numeric := make([]bool, len(t.header))
	for i, h := range t.header {
		widths[i] = utf8.RuneCountInString(h)
		numeric[i] = len(t.rows) > 0
		for _, row := range t.rows {
			widths[i] = max(widths[i], utf8.RuneCountInString(row[i]))
			if _, err := strconv.ParseInt(row[i], 10, 64); err != nil && row[i] != "" {
				numeric[i] = false
			}
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		parts := make([]string, len(cells))
		for i, c := range cells {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if numeric[i] {
				parts[i] = pad + c
			} else {
				parts[i] = c + pad
			}
		}
		b.WriteString(strings.TrimRight(strings.Join(parts, "  "), " ") + "\n")
	}
	line(t.header)
	rule := make([]string, len(t.header))
	for i, w := range widths {
		rule[i] = strings.Repeat("-", w)
	}
	line(rule)
	for _, row := range t.rows {
		line(row)
	}
	return b.String()
}

// signed writes an amount with its direction: +5000 in, -3000 out.
func signed(amount int64) string {
	if amount > 0 {
		return "+" + strconv.FormatInt(amount, 10)
	}
	return strconv.FormatInt(amount, 10)
}

// shorten cuts text to at most n characters, marking the cut with an ellipsis.
func shorten(text string, n int) string {
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	return string([]rune(text)[:n-1]) + "…"
}

// howMany is "1 copy", "2 copies".
func howMany(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
