package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// StreamEvent is one event of a stream as the stream panel shows it: everything
// it was stored with, its data indented for reading.
type StreamEvent struct {
	Position   int64             `json:"position"`
	Version    int64             `json:"version"`
	Type       string            `json:"type"`
	Schema     int64             `json:"schema"`
	Data       string            `json:"data"`
	Metadata   map[string]string `json:"metadata"`
	RecordedAt string            `json:"recorded_at"`
}

// Stream is the newest events of one stream, oldest first.
type Stream struct {
	ID     string        `json:"id"`
	Events []StreamEvent `json:"events"`
	Older  bool          `json:"older"` // the stream has more events than these
}

// streamLimit bounds the events a stream panel shows: the newest ones.
const streamLimit = 100

// readStream reads a stream's newest events through the (stream_id, version)
// index that every stage's events table has.
func readStream(ctx context.Context, q querier, id string, eventColumns map[string]bool) (Stream, error) {
	s := Stream{ID: id, Events: []StreamEvent{}}
	rows, err := q.QueryContext(ctx, `SELECT global_position, version, event_type, `+schemaColumn(eventColumns)+`,
		data, metadata, recorded_at FROM events WHERE stream_id = ? ORDER BY version DESC LIMIT ?`, id, streamLimit+1)
	if err != nil {
		return s, fmt.Errorf("read stream: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e StreamEvent
		var data, metadata string
		if err := rows.Scan(&e.Position, &e.Version, &e.Type, &e.Schema, &data, &metadata, &e.RecordedAt); err != nil {
			return s, fmt.Errorf("read stream: %w", err)
		}
		e.Data, e.Metadata = indented(data), metadataOf(metadata)
		s.Events = append(s.Events, e)
	}
	if len(s.Events) > streamLimit {
		s.Events, s.Older = s.Events[:streamLimit], true
	}
	slices.Reverse(s.Events)
	return s, rows.Err()
}

// indented is JSON data indented, or the text as stored if it is not JSON.
// Go's encoder stores <, > and & as \u003c, \u003e and \u0026; they are shown
// as the characters they stand for, as the stage's own API shows them.
func indented(data string) string {
	var b bytes.Buffer
	if json.Indent(&b, []byte(data), "", "  ") != nil {
		return data
	}
	return unescapeHTML(b.String())
}

// htmlEscapes are the escapes encoding/json writes for HTML's sake.
var htmlEscapes = map[string]string{`\u003c`: "<", `\u003e`: ">", `\u0026`: "&"}

// unescapeHTML undoes htmlEscapes in valid JSON. Outside strings JSON has no
// backslash, and inside one a backslash always starts a pair (\\ is one), so
// reading pair by pair never takes an escaped backslash for an escape.
func unescapeHTML(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		if i+6 <= len(s) {
			if r, ok := htmlEscapes[strings.ToLower(s[i:i+6])]; ok {
				b.WriteString(r)
				i += 5
				continue
			}
		}
		b.WriteString(s[i : i+2])
		i++
	}
	return b.String()
}

// metadataOf is an event's metadata as text: correlation, causation, user, and
// whatever else a stage puts there.
func metadataOf(metadata string) map[string]string {
	var m map[string]any
	out := map[string]string{}
	if json.Unmarshal([]byte(metadata), &m) != nil {
		out["(stored)"] = metadata
		return out
	}
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		} else {
			b, _ := json.Marshal(v)
			out[k] = string(b)
		}
	}
	return out
}
