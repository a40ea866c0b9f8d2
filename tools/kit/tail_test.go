package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeStage serves /stage and /events as stages 2 to 7 do (and as stage 1, /stage only): pages of events after a
// position, at most pageCap of them whatever the limit asked, and next_after.
type fakeStage struct {
	mu      sync.Mutex
	number  int
	events  []tailEvent
	pageCap int
	asked   []string // the /events queries, in order
}

func (f *fakeStage) add(stream, typ, data, correlation string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := tailEvent{EventID: fmt.Sprintf("ev-%d", len(f.events)+1), StreamID: stream, Position: int64(len(f.events) + 1),
		Type: typ, Data: json.RawMessage(data)}
	e.Metadata.CorrelationID = correlation
	f.events = append(f.events, e)
}

func (f *fakeStage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == "/stage":
		fmt.Fprintf(w, `{"stage":%d,"slug":"0%d-fake","title":"a fake stage","features":[]}`, f.number, f.number)
	case r.URL.Path == "/events" && f.number >= 2: // stage 1 has no global log
		f.asked = append(f.asked, r.URL.RawQuery)
		after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		limit = min(max(limit, 1), f.pageCap)
		page := []tailEvent{}
		for _, e := range f.events {
			if e.Position > after && len(page) < limit {
				page = append(page, e)
			}
		}
		next := after
		if len(page) > 0 {
			next = page[len(page)-1].Position
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"events": page, "next_after": next})
	default:
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"title":"Not Found","status":404,"detail":"no such route; GET / lists the endpoints of this stage"}`)
	}
}

// syncBuffer collects what tail writes from its goroutine while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// lines is the output without the column header.
func (s *syncBuffer) lines() []string {
	all := strings.Split(strings.TrimSpace(s.String()), "\n")
	if len(all) > 0 && strings.Contains(all[0], "correlation") {
		all = all[1:]
	}
	return all
}

// startTail runs a tailer on base with short waits; stop ends it and returns what
// run returned.
func startTail(t *testing.T, base string) (out, notes *syncBuffer, stop func() error) {
	t.Helper()
	out, notes = &syncBuffer{}, &syncBuffer{}
	tl := newTailer(base, out, notes)
	tl.interval, tl.maxBackoff = 5*time.Millisecond, 40*time.Millisecond
	tl.client.Timeout = time.Second
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tl.run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				err = fmt.Errorf("tail did not stop within 5 s of its context ending")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return out, notes, stop
}

const (
	adaStream = "account-3f2a9c1b-7d4e-4a8b-9c0d-1e2f3a4b5c6d"
	v7Request = "01980f3a-2b4c-7d5e-8f60-a1b2c3d4e5f6"
)

func TestTailPrintsOneAlignedLinePerEvent(t *testing.T) {
	tl := newTailer("http://x", nil, nil)
	ev := func(pos int64, typ, data, correlation string) tailEvent {
		e := tailEvent{EventID: "e", StreamID: adaStream, Position: pos, Type: typ, Data: json.RawMessage(data)}
		e.Metadata.CorrelationID = correlation
		return e
	}
	legacy := ev(4, "MoneyDeposited", `{"amount":700}`, "legacy-import")
	legacy.StoredAs = &struct {
		Type          string `json:"type"`
		SchemaVersion int    `json:"schema_version"`
	}{"AccountCredited", 1}

	got := []string{
		tl.line(ev(1, "AccountOpened", `{"account_id":"3f2a9c1b","owner":"Ada"}`, "story-ada")),
		tl.line(ev(2, "MoneyDeposited", `{"amount":5000,"reference":"salary March"}`, "story-ada")),
		tl.line(ev(13, "MoneyWithdrawn", `{"amount":1000,"reference":"a reference much longer than its column"}`, v7Request)),
		tl.line(legacy),
		tl.line(ev(5, "MoneyDeposited", `{"amount":0,"reference":"red\u001b[31m"}`, "x")),
		tl.line(ev(6, "AccountClosed", `null`, "story-ada")),
	}
	want := []string{
		"     1  account-3f2a9c1b…  AccountOpened                                           story-ada",
		"     2  account-3f2a9c1b…  MoneyDeposited              5000  salary March          story-ada",
		"    13  account-3f2a9c1b…  MoneyWithdrawn              1000  a reference much lo…  …c3d4e5f6",
		"     4  account-3f2a9c1b…  MoneyDeposited               700                        legacy-import  (stored as AccountCredited v1)",
		"     5  account-3f2a9c1b…  MoneyDeposited                 0  red?[31m              x",
		"     6  account-3f2a9c1b…  AccountClosed                                           story-ada",
	}
	require.Equal(t, want, got, "position, stream, type, amount, reference, correlation: in columns; a terminal escape is not passed through")

	tl.wide = true
	require.Equal(t, "    13  "+adaStream+"  MoneyWithdrawn              1000  a reference much lo…  "+v7Request,
		tl.line(ev(13, "MoneyWithdrawn", `{"amount":1000,"reference":"a reference much longer than its column"}`, v7Request)))

	require.Equal(t, "3f2a9c1b…", shortUUID("3f2a9c1b-7d4e-4a8b-9c0d-1e2f3a4b5c6d"), "a random id: its first digits")
	require.Equal(t, "…c3d4e5f6", shortUUID(v7Request), "a time-ordered id: its last digits, the first are the clock")
	require.Equal(t, "story-ada", shortUUID("story-ada"))
	require.Equal(t, "legacy-row-7", shortStream("legacy-row-7"))
}

func TestTailFollowsTheLogPageByPage(t *testing.T) {
	stage := &fakeStage{number: 2, pageCap: 3}
	for i := range 7 {
		stage.add(adaStream, "MoneyDeposited", fmt.Sprintf(`{"amount":%d}`, 100*(i+1)), "c")
	}
	srv := httptest.NewServer(stage)
	defer srv.Close()
	out, notes, stop := startTail(t, srv.URL)

	require.Eventually(t, func() bool { return len(out.lines()) == 7 }, 5*time.Second, 5*time.Millisecond, "7 events in pages of 3:\n%s", out)
	stage.add(adaStream, "MoneyWithdrawn", `{"amount":50,"reference":"coffee"}`, "late")
	stage.add(adaStream, "AccountClosed", `{}`, "late")
	require.Eventually(t, func() bool { return len(out.lines()) == 9 }, 5*time.Second, 5*time.Millisecond, "events appended later:\n%s", out)
	require.NoError(t, stop(), "Ctrl-C is a clean stop")

	lines := out.lines()
	for i, l := range lines {
		require.True(t, strings.HasPrefix(l, fmt.Sprintf("%6d  ", i+1)), "each position once, in order:\n%s", out)
	}
	require.Contains(t, lines[7], "MoneyWithdrawn                50  coffee")
	require.True(t, strings.HasPrefix(out.String(), "   pos  stream             type"), "a header names the columns:\n%s", out)
	require.Contains(t, notes.String(), "following stage 2 (02-fake)")

	stage.mu.Lock()
	defer stage.mu.Unlock()
	require.Equal(t, []string{"after=0&limit=100", "after=2&limit=100", "after=4&limit=100", "after=6&limit=100"}, stage.asked[1:5],
		"after the probe, each page starts at the last event printed, to see that it is the same log")
}

// restartable is a server on one address that can be stopped and started again.
type restartable struct {
	addr string
	srv  *httptest.Server
}

func (r *restartable) start(t *testing.T, h http.Handler) {
	t.Helper()
	var ln net.Listener
	require.Eventually(t, func() bool {
		var err error
		ln, err = net.Listen("tcp", r.addr)
		return err == nil
	}, 5*time.Second, 10*time.Millisecond, "listen again on %s", r.addr)
	r.srv = httptest.NewUnstartedServer(h)
	r.srv.Listener.Close()
	r.srv.Listener = ln
	r.srv.Start()
}

func (r *restartable) stop() { r.srv.CloseClientConnections(); r.srv.Close() }

// freeAddr is a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func TestTailWaitsForTheServerAndSurvivesItsRestart(t *testing.T) {
	server := &restartable{addr: freeAddr(t)}
	out, notes, stop := startTail(t, "http://"+server.addr)

	time.Sleep(200 * time.Millisecond) // several retries, nothing answers yet
	require.Equal(t, 1, strings.Count(notes.String(), "connection refused"), "says once that nothing answers:\n%s", notes)
	require.Contains(t, notes.String(), "make run-stageN")

	stage := &fakeStage{number: 7, pageCap: 100}
	for range 3 {
		stage.add(adaStream, "MoneyDeposited", `{"amount":1}`, "c")
	}
	server.start(t, stage)
	require.Eventually(t, func() bool { return len(out.lines()) == 3 }, 5*time.Second, 5*time.Millisecond, "%s", out)

	server.stop()
	time.Sleep(300 * time.Millisecond) // retries with backoff while it is away
	require.Equal(t, 1, strings.Count(notes.String(), "after position 3"), "says once that the server went away:\n%s", notes)

	for range 2 {
		stage.add(adaStream, "MoneyWithdrawn", `{"amount":1}`, "c")
	}
	server.start(t, stage) // the same log, two events longer
	require.Eventually(t, func() bool { return len(out.lines()) == 5 }, 5*time.Second, 5*time.Millisecond, "%s", out)
	require.Contains(t, notes.String(), "answers again (stage 7); following from position 4")

	server.stop()
	fresh := &fakeStage{number: 7, pageCap: 100}
	fresh.add("account-other", "AccountOpened", `{}`, "c")
	fresh.events[0].EventID = "another-database"
	server.start(t, fresh) // a new database, maybe between two polls: its log is shorter, position 1 another event
	require.Eventually(t, func() bool { return len(out.lines()) == 6 }, 5*time.Second, 5*time.Millisecond, "%s", out)
	require.Contains(t, notes.String(), "is another one now (a new database?): from position 1 again")
	require.Contains(t, out.lines()[5], "account-other")
	require.NoError(t, stop())
	server.stop()
	require.Equal(t, 1, strings.Count(notes.String(), "another one"), "said once:\n%s", notes)
}

func TestTailSaysPlainlyWhenThereIsNoLogToFollow(t *testing.T) {
	run := func(h http.Handler) error {
		srv := httptest.NewServer(h)
		defer srv.Close()
		tl := newTailer(srv.URL, &syncBuffer{}, &syncBuffer{})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return tl.run(ctx)
	}

	err := run(&fakeStage{number: 1}) // serves /stage; /events is 404, as in stage 1
	require.Error(t, err)
	require.Contains(t, err.Error(), "stage 1 (01-fake) has no global log: GET /events comes in stage 2")

	err = run(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html><body>Welcome to some other web server</body></html>")
	}))
	require.Error(t, err)
	require.Contains(t, err.Error(), "is not a stage server: GET /stage should answer the stage as JSON, and it answered 200 OK (not the JSON a stage serves)")

	err = run(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "POST integration messages here", http.StatusMethodNotAllowed) // the webhook sink
	}))
	require.Error(t, err)
	require.Contains(t, err.Error(), "is not a stage server")
	require.Contains(t, err.Error(), "405 Method Not Allowed")
}

func TestTailReadsTheURLAsPeopleTypeIt(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080":  "http://127.0.0.1:8080",
		"http://127.0.0.1:8080/": "http://127.0.0.1:8080",
		"127.0.0.1:8081":         "http://127.0.0.1:8081",
		":8082":                  "http://127.0.0.1:8082",
		"https://bank.example":   "https://bank.example",
	} {
		got, err := baseURL(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	_, err := baseURL("ftp://127.0.0.1")
	require.Error(t, err)
}
