package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"
	"strings"
)

// The board's page is made for a projector at the back of a room: white on
// black, large type, one row per attendee, and above the grid the one thing a
// presenter acts on, the task most of the room is on. html/template escapes
// every value (a nickname is whatever an attendee typed), and the page's
// Content-Security-Policy lets only its own nonce'd script and style run, so
// even a value that slipped through could not run a script. Nothing comes from
// the network: a room's wifi is the last thing to rely on.

// roomStuck is the task most attendees would do next, and how many of them.
type roomStuck struct {
	ID    string `json:"task"`
	Title string `json:"title"`
	Count int    `json:"count"` // attendees whose next task it is
	Of    int    `json:"of"`    // attendees on the board
}

// nextTask is the first required task an attendee has not passed, counted from
// the latest stage where something of theirs passes: every stage starts with
// the earlier ones solved, so someone who began at stage 2 is not stuck on 1.1.
// Nothing left returns false.
func (b *roomBoard) nextTask(passing []string) (task, bool) {
	has := map[string]bool{}
	for _, id := range passing {
		has[id] = true
	}
	from := 0
	for i, s := range b.stages {
		for _, t := range s.Tasks {
			if has[t.ID] {
				from = i
			}
		}
	}
	for _, s := range b.stages[from:] {
		for _, t := range s.Tasks {
			if !t.Optional && !has[t.ID] {
				return t, true
			}
		}
	}
	return task{}, false
}

// stuckLocked is the task that is next for the most attendees; on a tie, the
// earlier task (the room is as far as its slowest crowd). Nil when nobody has
// reported, or everyone is done.
func (b *roomBoard) stuckLocked() *roomStuck {
	count := map[string]int{}
	var best *roomStuck
	for _, a := range b.attendees {
		t, ok := b.nextTask(a.Passing)
		if !ok {
			continue
		}
		count[t.ID]++
		n := count[t.ID]
		if best == nil || n > best.Count || n == best.Count && b.order[t.ID] < b.order[best.ID] {
			best = &roomStuck{ID: t.ID, Title: t.Title, Count: n}
		}
	}
	if best != nil {
		best.Of = len(b.attendees)
	}
	return best
}

// boardColumn is one task's column; Class styles it (stage border, stretch, stuck).
type boardColumn struct {
	ID, Title, Label, Class string
	DoneBy                  int
}

type boardCell struct{ Mark, Class string }

type boardRow struct {
	Nick           string
	Cells          []boardCell
	Done, Required int
	Seen           string
}

// boardView is everything the page shows, computed under the board's lock.
type boardView struct {
	Stages   []boardStage
	Columns  []boardColumn
	Rows     []boardRow
	Stuck    *roomStuck
	Finished int // attendees with every required task done
	Version  int
	JoinURL  string
	Nonce    string
	Density  string // smaller rows as the room grows, so more of it fits the screen
}

func (b *roomBoard) view() boardView {
	b.mu.Lock()
	defer b.mu.Unlock()
	v := boardView{Stages: b.stages, Stuck: b.stuckLocked(), Version: b.version, JoinURL: b.joinURL}
	stuckID := ""
	if v.Stuck != nil {
		stuckID = v.Stuck.ID
	}
	for _, s := range b.stages {
		for i, t := range s.Tasks {
			v.Columns = append(v.Columns, boardColumn{ID: t.ID, Title: t.Title,
				Label: strings.TrimPrefix(t.ID, strconv.Itoa(s.Number)+"."),
				Class: columnClass(i == 0, t.Optional, t.ID == stuckID)})
		}
	}
	for _, a := range b.sortedLocked() {
		has := map[string]bool{}
		for _, id := range a.Passing {
			has[id] = true
		}
		row := boardRow{Nick: a.Nick, Seen: a.Seen.Format("15:04")}
		col := 0
		for _, s := range b.stages {
			for i, t := range s.Tasks {
				mark := map[bool]string{true: "✓", false: "·"}[has[t.ID]]
				if t.Optional {
					mark = map[bool]string{true: "★", false: "☆"}[has[t.ID]]
				} else {
					row.Required++
				}
				cls := columnClass(i == 0, t.Optional, t.ID == stuckID)
				if has[t.ID] {
					cls += " done"
					v.Columns[col].DoneBy++
					if !t.Optional {
						row.Done++
					}
				}
				row.Cells = append(row.Cells, boardCell{Mark: mark, Class: cls})
				col++
			}
		}
		if _, left := b.nextTask(a.Passing); !left {
			v.Finished++
		}
		v.Rows = append(v.Rows, row)
	}
	switch n := len(v.Rows); {
	case n > 24:
		v.Density = "dense"
	case n > 13:
		v.Density = "compact"
	}
	return v
}

func columnClass(first, optional, stuck bool) string {
	var c []string
	if first {
		c = append(c, "first")
	}
	if optional {
		c = append(c, "opt")
	}
	if stuck {
		c = append(c, "stuck")
	}
	return strings.Join(c, " ")
}

func (b *roomBoard) servePage(w http.ResponseWriter, r *http.Request) {
	v := b.view()
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	v.Nonce = hex.EncodeToString(nonce)
	if v.JoinURL == "" {
		v.JoinURL = "http://" + r.Host
	}
	var page bytes.Buffer
	if err := boardPage.Execute(&page, v); err != nil {
		writeProblem(w, http.StatusInternalServerError, "the page did not render: "+err.Error())
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+v.Nonce+"'; style-src 'nonce-"+v.Nonce+"'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(page.Bytes())
}

// serveState is the room as JSON: the page polls its version, and a script
// (or kit watch) can read the rest.
func (b *roomBoard) serveState(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	st := struct {
		Version   int        `json:"version"`
		Tasks     []string   `json:"tasks"`
		Attendees []attendee `json:"attendees"`
		Stuck     *roomStuck `json:"stuck"`
	}{Version: b.version, Tasks: []string{}, Attendees: []attendee{}, Stuck: b.stuckLocked()}
	for _, s := range b.stages {
		for _, t := range s.Tasks {
			st.Tasks = append(st.Tasks, t.ID)
		}
	}
	for _, a := range b.sortedLocked() {
		st.Attendees = append(st.Attendees, *a)
	}
	b.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(st)
}

// boardPage reloads itself when the board's version changes: a small script
// polls state.json every 2 seconds (no flicker while nothing happens); without
// script, a meta refresh every 5 seconds.
var boardPage = template.Must(template.New("board").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Room board</title>
<noscript><meta http-equiv="refresh" content="5"></noscript>
<style nonce="{{.Nonce}}">
  html { background: #000; color: #fff; font: 22px/1.2 system-ui, "DejaVu Sans", sans-serif; }
  body { margin: 10px 20px; }
  .join { display: flex; justify-content: space-between; margin: 0 0 8px; color: #ddd; }
  code { color: #fff; background: #222; padding: 0 6px; font-size: 24px; }
  #live { color: #888; }
  .banner { display: flex; align-items: baseline; gap: 16px; margin: 0 0 10px; padding: 6px 18px;
    background: #ffd400; color: #000; border-radius: 8px; font-size: 34px; white-space: nowrap; }
  .banner b { font-size: 46px; }
  .banner .title { flex: 1; overflow: hidden; text-overflow: ellipsis; }
  .banner .count { font-weight: bold; font-size: 40px; }
  .banner.calm { background: #1e3a1e; color: #fff; }
  table { border-collapse: collapse; width: 100%; table-layout: fixed; }
  th, td { text-align: center; padding: 1px 0; white-space: nowrap; line-height: 1.15; }
  thead th { color: #ccc; font-weight: normal; font-size: 20px; }
  thead th.stage { color: #fff; border-left: 3px solid #555; }
  th.nick { width: 8.5em; text-align: left; padding-right: 10px; overflow: hidden; text-overflow: ellipsis; font-weight: bold; font-size: 24px; }
  th.sum, td.sum { width: 3.4em; text-align: right; font-size: 20px; color: #ddd; }
  tbody tr:nth-child(odd) { background: #161616; }
  td { color: #9a9a9a; font-size: 26px; }
  .first { border-left: 3px solid #555; }
  .stuck { background: #403500; }
  td.done { color: #dcfce7; background: #15803d; font-weight: bold; border-right: 1px solid #000; }
  th.opt { color: #d8b840; }
  td.opt { color: #6f6230; }
  td.opt.done { color: #000; background: #eab308; }
  thead th.stuck { background: #ffd400; color: #000; font-weight: bold; }
  table.compact td { font-size: 20px; } table.compact th.nick { font-size: 19px; }
  table.dense td { font-size: 15px; } table.dense th.nick { font-size: 14px; }
  footer { margin-top: 8px; color: #bbb; font-size: 18px; }
</style>
</head>
<body data-version="{{.Version}}">
<p class="join"><span>Join the board: <code>make status REPORT={{.JoinURL}}</code></span><span id="live"></span></p>
{{with .Stuck -}}
<p class="banner"><span>The largest group is on <b>{{.ID}}</b></span><span class="title">{{.Title}}</span><span class="count">{{.Count}} of {{.Of}}</span></p>
{{- else -}}
<p class="banner calm">{{if .Rows}}Everyone on the board is done ({{.Finished}} of {{len .Rows}}).{{else}}Nobody has reported yet.{{end}}</p>
{{- end}}
<table class="{{.Density}}">
<thead>
<tr><th class="nick"></th>{{range .Stages}}<th class="stage" colspan="{{len .Tasks}}" title="{{.Slug}}">stage {{.Number}}</th>{{end}}<th class="sum"></th></tr>
<tr><th class="nick">{{len .Rows}} here</th>{{range .Columns}}<th class="{{.Class}}" title="{{.ID}} {{.Title}}: {{.DoneBy}} done">{{.Label}}</th>{{end}}<th class="sum">done</th></tr>
</thead>
<tbody>
{{range .Rows}}<tr><th class="nick" title="{{.Nick}}, last report {{.Seen}}">{{.Nick}}</th>{{range .Cells}}<td class="{{.Class}}">{{.Mark}}</td>{{end}}<td class="sum">{{.Done}}/{{.Required}}</td></tr>
{{end}}</tbody>
</table>
<footer>✓ done &nbsp; · to do &nbsp; ☆ stretch task (★ done) &nbsp; the highlighted column is the task most of the room is on</footer>
<script nonce="{{.Nonce}}">
(() => {
  const shown = document.body.dataset.version;
  const live = document.getElementById("live");
  async function poll() {
    try {
      const r = await fetch("state.json", {cache: "no-store"});
      const s = await r.json();
      if (String(s.version) !== shown) { location.reload(); return; }
      live.textContent = "live";
    } catch (e) {
      live.textContent = "the board is not answering";
    }
    setTimeout(poll, 2000);
  }
  setTimeout(poll, 2000);
})();
</script>
</body>
</html>
`))
