package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// boardTestStages is a small kit: two required tasks and a stretch task in
// stages 1 and 2, two tasks in stage 3.
var boardTestStages = []boardStage{
	{Number: 1, Slug: "01-crud", Tasks: []task{{ID: "1.1", Title: "Deposit"}, {ID: "1.2", Title: "Withdraw"}, {ID: "1.3", Title: "Transfer", Optional: true}}},
	{Number: 2, Slug: "02-events", Tasks: []task{{ID: "2.1", Title: "Fold"}, {ID: "2.2", Title: "Names"}, {ID: "2.3", Title: "As of", Optional: true}}},
	{Number: 3, Slug: "03-aggregates", Tasks: []task{{ID: "3.1", Title: "Reconstitute"}, {ID: "3.2", Title: "Factory"}}},
}

// noRateLimits is a room simulated on one loopback address.
var noRateLimits = boardLimits{MaxBody: 4 << 10, MaxAttendees: 200}

// boardClock is a clock the rate-limit tests move by hand.
type boardClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *boardClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *boardClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func startBoard(t *testing.T, limits boardLimits) (*roomBoard, *httptest.Server) {
	t.Helper()
	b := newRoomBoard(boardTestStages, limits)
	srv := httptest.NewServer(b.handler())
	t.Cleanup(srv.Close)
	return b, srv
}

func postReport(t *testing.T, srv *httptest.Server, body string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Post(srv.URL+"/report", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(data)
}

func getBoard(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(data)
}

func reportJSON(nick string, passing ...string) string { return string(reportBody(nick, passing)) }

func TestBoardTakesAWholeRoomReportingAtOnce(t *testing.T) {
	b, srv := startBoard(t, noRateLimits)
	// Four groups of six: two are on 2.2 (one skipped stage 1), one on 1.2, one on 3.1.
	final := [][]string{{"1.1", "1.2", "2.1"}, {"2.1", "2.3"}, {"1.1"}, {"2.1", "2.2", "1.3"}}
	var wg sync.WaitGroup
	for k := range 24 {
		wg.Go(func() {
			nick := fmt.Sprintf("attendee-%02d", k)
			for _, passing := range [][]string{{}, final[k%4][:1], final[k%4]} {
				resp, body := postReport(t, srv, reportJSON(nick, passing...))
				if resp.StatusCode != http.StatusOK {
					t.Errorf("%s: %d %s", nick, resp.StatusCode, body)
				}
				getBoard(t, srv.URL+"/")           // projectors reloading while the room reports
				getBoard(t, srv.URL+"/state.json") // and the page polling
			}
		})
	}
	wg.Wait()

	v := b.view()
	require.Len(t, v.Rows, 24)
	require.Equal(t, "attendee-00", v.Rows[0].Nick, "rows by nickname")
	require.Equal(t, &roomStuck{ID: "2.2", Title: "Names", Count: 12, Of: 24}, v.Stuck)
	marks := func(r boardRow) string {
		var s []string
		for _, c := range r.Cells {
			s = append(s, c.Mark)
		}
		return strings.Join(s, "")
	}
	require.Equal(t, "✓✓☆✓·☆··", marks(v.Rows[0]), "1.1 1.2 (1.3) 2.1 2.2 (2.3) 3.1 3.2")
	require.Equal(t, "··☆✓·★··", marks(v.Rows[1]))
	require.Equal(t, "✓·☆··☆··", marks(v.Rows[2]))
	require.Equal(t, "··★✓✓☆··", marks(v.Rows[3]))
	require.Equal(t, [2]int{3, 6}, [2]int{v.Rows[0].Done, v.Rows[0].Required}, "stretch tasks are not counted as required")
	require.Equal(t, 6, v.Columns[2].DoneBy, "1.3 done by one group")
	require.Equal(t, 18, v.Columns[3].DoneBy, "2.1 done by three groups")
	require.Contains(t, v.Columns[4].Class, "stuck", "the stuck task's column is marked")

	_, page := getBoard(t, srv.URL+"/")
	require.Regexp(t, `The largest group is on <b>2\.2</b></span><span class="title">Names</span><span class="count">12 of 24</span>`, page)
	var st struct {
		Version   int
		Attendees []attendee
		Stuck     roomStuck
	}
	_, body := getBoard(t, srv.URL+"/state.json")
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	require.Equal(t, 72, st.Version, "every report counted once")
	require.Len(t, st.Attendees, 24)
	require.Equal(t, roomStuck{ID: "2.2", Title: "Names", Count: 12, Of: 24}, st.Stuck)
}

func TestBoardStuckIsTheNextRequiredTaskOfMostAttendees(t *testing.T) {
	b := newRoomBoard(boardTestStages, noRateLimits)
	next := func(passing ...string) string {
		task, ok := b.nextTask(passing)
		if !ok {
			return "none"
		}
		return task.ID
	}
	require.Equal(t, "1.1", next())
	require.Equal(t, "1.1", next("1.2"), "done out of order: 1.1 is still next")
	require.Equal(t, "2.1", next("1.1", "1.2"), "a stretch task is never next")
	require.Equal(t, "2.2", next("2.1"), "began at stage 2: not stuck on stage 1")
	require.Equal(t, "3.1", next("2.1", "2.2"))
	require.Equal(t, "3.2", next("1.1", "3.1"))
	require.Equal(t, "none", next("3.1", "3.2"))

	stuck := func() *roomStuck { b.mu.Lock(); defer b.mu.Unlock(); return b.stuckLocked() }
	require.Nil(t, stuck(), "nobody yet")
	b.attendees["a"] = &attendee{Nick: "a", Passing: []string{"2.1"}}
	b.attendees["b"] = &attendee{Nick: "b", Passing: []string{"1.1"}}
	require.Equal(t, &roomStuck{ID: "1.2", Title: "Withdraw", Count: 1, Of: 2}, stuck(), "a tie goes to the earlier task")
	b.attendees["c"] = &attendee{Nick: "c", Passing: []string{"1.1", "1.2", "2.1"}}
	require.Equal(t, &roomStuck{ID: "2.2", Title: "Names", Count: 2, Of: 3}, stuck())
	b.attendees["d"] = &attendee{Nick: "d", Passing: []string{"3.1", "3.2"}}
	require.Equal(t, &roomStuck{ID: "2.2", Title: "Names", Count: 2, Of: 4}, stuck(), "someone done counts in the room, not in a task")
	for _, a := range b.attendees {
		a.Passing = []string{"3.1", "3.2"}
	}
	require.Nil(t, stuck(), "everyone done")
	require.Contains(t, pageOf(t, b), "Everyone on the board is done (4 of 4).")
}

func pageOf(t *testing.T, b *roomBoard) string {
	t.Helper()
	rec := httptest.NewRecorder()
	b.handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	return rec.Body.String()
}

func TestBoardRefusesHostileReportsWithAProblemAndNoChange(t *testing.T) {
	b, srv := startBoard(t, noRateLimits)
	ok := `{"nick":"ada","passing":["1.1"]}`
	cases := []struct {
		name, method, path, contentType, body string
		status                                int
		detail                                string
	}{
		{"a body over 4 KiB", "POST", "/report", "application/json", `{"nick":"ada","passing":[],"x":"` + strings.Repeat("a", 5000) + `"}`, 413, "at most 4096 bytes"},
		{"a good report padded past 4 KiB", "POST", "/report", "application/json", ok + strings.Repeat(" ", 5000), 413, "at most 4096 bytes"},
		{"not JSON", "POST", "/report", "application/json", `nick=ada`, 400, "not a report"},
		{"JSON cut short", "POST", "/report", "application/json", `{"nick":"ada","passing":["1.1"`, 400, "not a report"},
		{"two values", "POST", "/report", "application/json", ok + ok, 400, "more than one JSON value"},
		{"an array", "POST", "/report", "application/json", `["ada"]`, 400, "not a report"},
		{"an unknown field", "POST", "/report", "application/json", `{"nick":"ada","passing":[],"hostname":"laptop-7"}`, 400, `unknown field "hostname"`},
		{"a nick of the wrong type", "POST", "/report", "application/json", `{"nick":7,"passing":[]}`, 400, "not a report"},
		{"no passing list", "POST", "/report", "application/json", `{"nick":"ada"}`, 422, `"passing" is missing`},
		{"an unknown task", "POST", "/report", "application/json", `{"nick":"ada","passing":["9.9"]}`, 422, `"9.9" is not one of the kit's tasks`},
		{"a task id with a payload", "POST", "/report", "application/json", `{"nick":"ada","passing":["1.1; rm -rf / <b>and much more than fits"]}`, 422, `"1.1; rm -rf / <b>and muc…" is not one`},
		{"a task twice", "POST", "/report", "application/json", `{"nick":"ada","passing":["1.1","1.1"]}`, 422, "listed twice"},
		{"an empty nick", "POST", "/report", "application/json", `{"nick":"   ","passing":[]}`, 422, "nickname is empty"},
		{"a long nick", "POST", "/report", "application/json", reportJSON(strings.Repeat("é", 25)), 422, "25 characters; at most 24"},
		{"a script for a nick, too long", "POST", "/report", "application/json", reportJSON("<script>alert(1)</script>"), 422, "25 characters"},
		{"a terminal escape", "POST", "/report", "application/json", reportJSON("ada\x1b[2J"), 422, "not printable (U+001B)"},
		{"a newline", "POST", "/report", "application/json", reportJSON("ada\nbob"), 422, "not printable (U+000A)"},
		{"a right-to-left override", "POST", "/report", "application/json", reportJSON("ada\u202egnp.exe"), 422, "not printable (U+202E)"},
		{"a zero-width space", "POST", "/report", "application/json", reportJSON("a\u200bda"), 422, "not printable (U+200B)"},
		{"not JSON's content type", "POST", "/report", "text/plain", ok, 415, "Content-Type: application/json"},
		{"a form post from a web page", "POST", "/report", "application/x-www-form-urlencoded", ok, 415, "Content-Type"},
		{"GET on the report path", "GET", "/report", "", "", 405, "reports are POSTed here"},
		{"PUT on the report path", "PUT", "/report", "application/json", ok, 405, "reports are POSTed here"},
		{"POST on the page", "POST", "/", "application/json", ok, 404, "the board has GET /"},
		{"another path", "GET", "/../../etc/passwd", "", "", 404, "the board has GET /"},
		{"another path, posted", "POST", "/reports", "application/json", ok, 404, "the board has GET /"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
			require.NoError(t, err)
			if c.contentType != "" {
				req.Header.Set("Content-Type", c.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, c.status, resp.StatusCode)
			if c.status == 405 && c.path == "/report" {
				require.Equal(t, "POST", resp.Header.Get("Allow"))
			}
			if c.detail != "" {
				require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
				var p problem
				require.NoError(t, json.NewDecoder(resp.Body).Decode(&p))
				require.Equal(t, c.status, p.Status)
				require.Equal(t, http.StatusText(c.status), p.Title)
				require.Contains(t, p.Detail, c.detail)
			}
		})
	}
	require.Empty(t, b.view().Rows, "no refused report reached the board")

	resp, _ := postReport(t, srv, reportJSON("  Zoë <3  ", "1.2", "1.1"))
	require.Equal(t, http.StatusOK, resp.StatusCode, "trimmed, any script, HTML characters: fine")
	b.mu.Lock()
	require.Equal(t, []string{"1.1", "1.2"}, b.attendees["Zoë <3"].Passing, "kept in the kit's order")
	b.mu.Unlock()
}

func TestBoardAnswersGarbageWithA4xxNeverA5xx(t *testing.T) {
	_, srv := startBoard(t, noRateLimits)
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{`{`, `}`, `[`, `]`, `"nick"`, `"passing"`, `:`, `,`, `"1.1"`, `"\u0000"`, `null`, `1e999`, `"\ud800"`, "\xff", ` `, `"`, `\`, `true`}
	for range 300 {
		var body strings.Builder
		for range rng.IntN(30) {
			body.WriteString(pieces[rng.IntN(len(pieces))])
		}
		resp, text := postReport(t, srv, body.String())
		if resp.StatusCode != http.StatusOK {
			require.True(t, resp.StatusCode >= 400 && resp.StatusCode < 500, "%q: %d %s", body.String(), resp.StatusCode, text)
		}
	}
}

func TestBoardRoomIsFullAtItsLimitButKnownNicknamesStillReport(t *testing.T) {
	limits := noRateLimits
	limits.MaxAttendees = 3
	b, srv := startBoard(t, limits)
	for _, nick := range []string{"ada", "bob", "cy"} {
		resp, body := postReport(t, srv, reportJSON(nick))
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
	}
	resp, body := postReport(t, srv, reportJSON("dee"))
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Contains(t, body, "the room is full: the board takes 3 nicknames")
	resp, _ = postReport(t, srv, reportJSON("ada", "1.1"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Len(t, b.view().Rows, 3)
}

func TestBoardRateLimitsAFloodWith429AndRetryAfter(t *testing.T) {
	clock := &boardClock{t: time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)}
	b, srv := startBoard(t, defaultBoardLimits)
	b.now = clock.now

	resp, _ := postReport(t, srv, reportJSON("ada"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, body := postReport(t, srv, reportJSON("ada", "1.1"))
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "one report per second per nickname")
	require.Equal(t, "1", resp.Header.Get("Retry-After"))
	require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	require.Contains(t, body, `too many reports for nickname \"ada\": try again in 1 s`)
	clock.advance(time.Second)
	resp, _ = postReport(t, srv, reportJSON("ada", "1.1"))
	require.Equal(t, http.StatusOK, resp.StatusCode, "a second later")

	// One address: ten reports at once (a few attendees behind one NAT), then five a second.
	clock.advance(time.Minute)
	for i := range 10 {
		resp, body := postReport(t, srv, reportJSON(fmt.Sprint("n", i)))
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
	}
	resp, body = postReport(t, srv, "garbage")
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "garbage counts too, and is not even read")
	require.Contains(t, body, "too many reports from your address")
	require.Equal(t, "1", resp.Header.Get("Retry-After"), "whole seconds, at least one")
	clock.advance(200 * time.Millisecond)
	resp, _ = postReport(t, srv, reportJSON("n10"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = postReport(t, srv, reportJSON("n11"))
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.Len(t, b.view().Rows, 12)
}

func TestBoardRateLimiterForgetsIdleKeys(t *testing.T) {
	l := newRateLimiter(time.Second, 1)
	now := time.Unix(0, 0)
	for i := range 10_001 {
		require.Zero(t, l.allow(fmt.Sprint(i), now))
	}
	now = now.Add(2 * time.Second)
	require.Zero(t, l.allow("new", now))
	require.Len(t, l.next, 1, "the idle keys are gone")
}

func TestBoardPageEscapesEveryNickname(t *testing.T) {
	b, srv := startBoard(t, noRateLimits)
	for _, nick := range []string{"<script>alert(1)", `<img src=x onerror=1>`, `"'&amp;`} {
		resp, body := postReport(t, srv, reportJSON(nick, "1.1"))
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
	}
	// Past the length limit, but the page must not depend on it.
	b.mu.Lock()
	b.attendees["<script>alert(1)</script>"] = &attendee{Nick: "<script>alert(1)</script>", Passing: []string{}}
	b.mu.Unlock()

	resp, page := getBoard(t, srv.URL+"/")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	require.NotContains(t, page, "<script>alert")
	require.NotContains(t, page, "<img")
	require.Contains(t, page, ">&lt;script&gt;alert(1)&lt;/script&gt;</th>", "shown as text")
	require.Contains(t, page, ">&lt;script&gt;alert(1)</th>")
	require.Contains(t, page, ">&lt;img src=x onerror=1&gt;</th>")
	require.Contains(t, page, ">&#34;&#39;&amp;amp;</th>")
	require.Equal(t, 1, strings.Count(page, "<script"), "only the page's own script")
	nonce := regexp.MustCompile(`<script nonce="([^"]+)">`).FindStringSubmatch(page)
	require.NotNil(t, nonce)
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'nonce-"+nonce[1]+"'", "and only it may run")
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'", "nothing from the network")
	for _, asset := range []string{"<link", "<img", "<iframe", "<script src", "@import", "url("} {
		require.NotContains(t, page, asset, "nothing loaded from anywhere")
	}

	_, state := getBoard(t, srv.URL+"/state.json")
	require.NotContains(t, state, "<", "the JSON escapes HTML too")
	require.Contains(t, state, `\u003cscript\u003ealert(1)`)
}

func TestBoardPageShowsTheJoinCommand(t *testing.T) {
	b := newRoomBoard(boardTestStages, noRateLimits)
	b.joinURL = "http://192.168.1.20:7070"
	page := pageOf(t, b)
	require.Contains(t, page, "Join the board: <code>make status REPORT=http://192.168.1.20:7070</code>")
	require.Contains(t, page, "Nobody has reported yet.")
	require.Contains(t, page, `<th class="stage" colspan="3" title="01-crud">stage 1</th>`)
	require.Contains(t, page, `<th class="opt" title="1.3 Transfer: 0 done">3</th>`, "stretch columns are marked")
}

func TestBoardKeepsTheRoomInItsOwnFileOnly(t *testing.T) {
	dir := t.TempDir()
	b, srv := startBoard(t, noRateLimits)
	b.statePath = filepath.Join(dir, ".data", "board.json")
	for _, r := range []string{reportJSON("ada", "1.1"), reportJSON("bob", "2.1", "2.2"), reportJSON("ada", "1.1", "1.2")} {
		resp, body := postReport(t, srv, r)
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
	}
	var files []string
	require.NoError(t, filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if !d.IsDir() {
			files = append(files, path)
		}
		return err
	}))
	require.Equal(t, []string{b.statePath}, files, "the board writes its state and nothing else")
	data, err := os.ReadFile(b.statePath)
	require.NoError(t, err)
	var raw struct{ Attendees []map[string]any }
	require.NoError(t, json.Unmarshal(data, &raw))
	require.Len(t, raw.Attendees, 2)
	for _, a := range raw.Attendees {
		require.ElementsMatch(t, []string{"nick", "passing", "seen"}, keysOf(a))
	}

	again := newRoomBoard(boardTestStages, noRateLimits)
	again.statePath = b.statePath
	n, err := again.restore()
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.Equal(t, b.view().Rows, again.view().Rows, "a restarted board shows the same room")

	// The file is checked like a report: a task the kit dropped, a bad nickname.
	require.NoError(t, os.WriteFile(b.statePath, []byte(`{"attendees":[
		{"nick":"cy","passing":["1.1","9.9","1.1"]},{"nick":"bad\u0007","passing":[]},{"nick":"","passing":[]}]}`), 0o644))
	third := newRoomBoard(boardTestStages, noRateLimits)
	third.statePath = b.statePath
	n, err = third.restore()
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, []string{"1.1"}, third.attendees["cy"].Passing)

	require.NoError(t, os.WriteFile(b.statePath, []byte(`{`), 0o644))
	broken := newRoomBoard(boardTestStages, noRateLimits)
	broken.statePath = b.statePath
	_, err = broken.restore()
	require.ErrorContains(t, err, "FRESH=1 starts an empty room")
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestBoardReadsTheKitsTaskList(t *testing.T) {
	t.Chdir(filepath.Join("..", ".."))
	list, err := kitBoardStages()
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(list), 7)
	require.Equal(t, "01-crud", list[0].Slug)
	ids := map[string]bool{}
	for _, s := range list {
		for _, t := range s.Tasks {
			ids[t.ID] = t.Optional
		}
	}
	require.Contains(t, ids, "1.1")
	require.True(t, ids["1.3"], "1.3 is a stretch task")
	require.Contains(t, ids, "7.4")
}

// --- the reporter --------------------------------------------------------------

func TestReportSendsOnlyTheNicknameAndTheTaskIDs(t *testing.T) {
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		body, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()

	require.NoError(t, reportProgress(context.Background(), srv.URL, "ada", []string{"1.1", "2.3"}))
	require.Equal(t, "POST", got.Method)
	require.Equal(t, "/report", got.URL.Path)
	require.Empty(t, got.URL.RawQuery)
	require.Equal(t, `{"nick":"ada","passing":["1.1","2.3"]}`, string(body), "this and nothing else")
	var fields map[string]any
	require.NoError(t, json.Unmarshal(body, &fields))
	require.ElementsMatch(t, []string{"nick", "passing"}, keysOf(fields))
	var headers []string
	for h := range got.Header {
		headers = append(headers, h)
	}
	require.ElementsMatch(t, []string{"Content-Type", "Content-Length", "User-Agent", "Accept-Encoding"}, headers)
	require.Equal(t, "kit-status", got.Header.Get("User-Agent"), "not even Go's version")
	host, _ := os.Hostname()
	wd, _ := os.Getwd()
	for _, private := range []string{host, os.Getenv("USER"), wd} {
		if private != "" {
			require.NotContains(t, string(body), private)
		}
	}

	require.NoError(t, reportProgress(context.Background(), srv.URL+"/", "bob", nil))
	require.Equal(t, `{"nick":"bob","passing":[]}`, string(body), "nothing passes yet: an empty list")
}

func TestReportReachesARealBoardAndSaysWhyItRefuses(t *testing.T) {
	b, srv := startBoard(t, defaultBoardLimits)
	ctx := context.Background()
	require.NoError(t, reportProgress(ctx, srv.URL, "ada", []string{"1.1", "1.2"}))
	b.mu.Lock()
	require.Equal(t, []string{"1.1", "1.2"}, b.attendees["ada"].Passing)
	b.mu.Unlock()

	err := reportProgress(ctx, srv.URL, "ada", []string{"1.1"})
	require.ErrorContains(t, err, "refused the report (429 Too Many Requests): too many reports for nickname")
	err = reportProgress(ctx, srv.URL, "bob", []string{"8.1"})
	require.ErrorContains(t, err, `(422 Unprocessable Entity): "8.1" is not one of the kit's tasks`)
}

func TestReportSaysPlainlyWhenTheBoardIsNotThere(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	err := reportProgress(context.Background(), srv.URL, "ada", nil)
	require.ErrorContains(t, err, "does not answer")
	require.ErrorContains(t, err, "is make board running there")

	for _, bad := range []string{"192.168.1.20:7070", "ftp://host:7070", "http://", "http://me:secret@host:7070", "localhost"} {
		require.ErrorContains(t, reportProgress(context.Background(), bad, "ada", nil), "REPORT must be the address make board printed", bad)
	}

	// A redirect is not followed: the report goes to the board given, or nowhere.
	var elsewhere int
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere++ }))
	defer other.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/report", http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	require.ErrorContains(t, reportProgress(context.Background(), redirect.URL, "ada", nil), "refused the report (307")
	require.Zero(t, elsewhere)
}

func TestReportNicknameIsAskedOnceAndRemembered(t *testing.T) {
	t.Chdir(t.TempDir())
	_, err := chooseNick("", strings.NewReader(""), io.Discard, false)
	require.ErrorContains(t, err, "NICK=yourname", "no terminal to ask on")

	var out bytes.Buffer
	nick, err := chooseNick("", strings.NewReader("\x1b[31mred\n   \n  ada  \n"), &out, true)
	require.NoError(t, err)
	require.Equal(t, "ada", nick)
	require.Contains(t, out.String(), "not printable (U+001B)")
	require.Contains(t, out.String(), "nickname is empty")
	require.Equal(t, 3, strings.Count(out.String(), "Your nickname on the room board"))
	data, err := os.ReadFile(nicknameFile)
	require.NoError(t, err)
	require.Equal(t, "ada\n", string(data))

	nick, err = chooseNick("", strings.NewReader("never read\n"), io.Discard, true)
	require.NoError(t, err)
	require.Equal(t, "ada", nick, "asked once")
	nick, err = chooseNick(" bob ", nil, io.Discard, false)
	require.NoError(t, err)
	require.Equal(t, "bob", nick, "NICK= wins")
	_, err = chooseNick("bob\tby", nil, io.Discard, false)
	require.ErrorContains(t, err, "NICK: the nickname has a character that is not printable")

	_, err = chooseNick("", strings.NewReader("\x01\n\x02\n\x03\nada\n"), io.Discard, true)
	require.NoError(t, err, "the remembered one")
	require.NoError(t, os.Remove(nicknameFile))
	_, err = chooseNick("", strings.NewReader("\x01\n\x02\n\x03\nada\n"), io.Discard, true)
	require.ErrorContains(t, err, "no nickname chosen", "three tries")
}

func TestReportFromStatusPrintsExactlyWhatItSends(t *testing.T) {
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { body, _ = io.ReadAll(r.Body) }))
	defer srv.Close()
	var out bytes.Buffer
	r := &statusReport{url: srv.URL, nick: "ada"}
	require.NoError(t, r.send(&out, []string{"1.1", "1.3"}))
	require.Equal(t, "\nSending to the room board at "+srv.URL+" (this and nothing else):\n  "+string(body)+"\nThe board has it.\n", out.String())

	srv.Close()
	out.Reset()
	err := r.send(&out, []string{"1.1"})
	require.ErrorContains(t, err, "does not answer")
	require.Contains(t, out.String(), `{"nick":"ada","passing":["1.1"]}`, "what it tried to send is shown too")

	require.NoError(t, (*statusReport)(nil).send(&out, nil), "no REPORT=, nothing sent")
}

func TestBoardJoinURLsSayWhereAttendeesReport(t *testing.T) {
	urls, local := joinURLs(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 7070})
	require.Equal(t, []string{"http://127.0.0.1:7070"}, urls)
	require.True(t, local, "loopback: only this machine")
	urls, local = joinURLs(&net.TCPAddr{IP: net.IPv4(192, 168, 1, 20), Port: 7070})
	require.Equal(t, []string{"http://192.168.1.20:7070"}, urls)
	require.False(t, local)
	urls, _ = joinURLs(&net.TCPAddr{IP: net.IPv4zero, Port: 7070})
	require.NotEmpty(t, urls, "this machine's addresses, or loopback without a network")
	for _, u := range urls {
		require.NotContains(t, u, "0.0.0.0")
	}
}

func TestAReportAboutOneStageKeepsTheOthers(t *testing.T) {
	b, srv := startBoard(t, noRateLimits)
	passingOf := func(nick string) []string {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.attendees[nick].Passing
	}
	resp, _ := postReport(t, srv, reportJSON("ada", "1.1", "1.2", "3.1"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = postReport(t, srv, string(reportBody("ada", []string{"2.1"}, 2)))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, []string{"1.1", "1.2", "2.1", "3.1"}, passingOf("ada"), "stage 2's tasks added, in the kit's order")
	resp, _ = postReport(t, srv, string(reportBody("ada", []string{}, 3)))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, []string{"1.1", "1.2", "2.1"}, passingOf("ada"), "stage 3 reported with none passing: its task is gone, the rest stay")
	resp, _ = postReport(t, srv, reportJSON("ada", "3.2"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, []string{"3.2"}, passingOf("ada"), "a report with no stages is about all of them")

	for body, want := range map[string]string{
		string(reportBody("bob", []string{"1.1"}, 2)): "task 1.1 is not in the stages the report is about",
		string(reportBody("bob", []string{}, 9)):      "stage 9 is not one of the kit's stages",
		string(reportBody("bob", []string{}, 2, 2)):   "stage 2 is listed twice",
		`{"nick":"bob","passing":[],"stages":"2"}`:    "not a report",
		`{"nick":"bob","passing":[],"stages":[1.5]}`:  "not a report",
	} {
		resp, text := postReport(t, srv, body)
		require.GreaterOrEqual(t, resp.StatusCode, 400, body)
		require.Less(t, resp.StatusCode, 500, body)
		require.Contains(t, text, want, body)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	require.NotContains(t, b.attendees, "bob", "a refused report records nothing")
}
