package spec

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/internal/exercise"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	"github.com/labstack/echo/v4"
)

// The tests run in a time zone that is not UTC, so that a time stored without
// .UTC() shows (on a machine set to UTC it would look right by luck).
func init() { time.Local = time.FixedZone("UTC+1 (tests)", 3600) }

// OpenDB opens a fresh database file in the test's temporary folder.
func OpenDB(t testing.TB) *sqlitedb.DB {
	t.Helper()
	db, err := sqlitedb.Open(filepath.Join(t.TempDir(), "bank.db"))
	if err != nil {
		t.Fatalf("opening a test database: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// ServerLog collects what the server logs, so a failure can show the error behind a 500.
type ServerLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *ServerLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *ServerLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// NewServerLog returns a logger that writes into a ServerLog.
func NewServerLog() (*slog.Logger, *ServerLog) {
	l := &ServerLog{}
	return slog.New(slog.NewTextHandler(l, nil)), l
}

// CallTimeout bounds every call a test makes into the stage's code. A call that
// waits longer is stuck, typically behind a transaction that was never committed
// or rolled back: SQLite's one write connection stays taken and every later
// write waits for it. The test then fails in seconds instead of hanging.
const CallTimeout = 15 * time.Second

// Ctx is a context for one call into the stage's code, cancelled after CallTimeout.
func (c *Check) Ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), CallTimeout)
	c.t.Cleanup(cancel)
	return ctx
}

// API calls a stage's HTTP handler in process, without a network.
type API struct {
	h   http.Handler
	log *ServerLog
}

// NewAPI wraps a stage's handler; log is the ServerLog its logger writes to.
func NewAPI(h http.Handler, log *ServerLog) *API { return &API{h: h, log: log} }

// Response is what the API answered.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	log    string // the server's log at the time, shown when the status is 500
}

// Do sends one request. body is JSON-encoded unless it is a string (sent as is)
// or nil. headers come in pairs: "X-User-ID", "ada".
func (a *API) Do(method, path string, body any, headers ...string) Response {
	if body == nil {
		return a.rawDo(method, path, "", headers...)
	}
	data, ok := body.(string)
	if !ok {
		encoded, err := json.Marshal(body)
		if err != nil {
			panic(err) // a bug in the test itself
		}
		data = string(encoded)
	}
	return a.rawDo(method, path, data, append([]string{"Content-Type", "application/json"}, headers...)...)
}

// rawDo sends body as it is, with the given header pairs.
func (a *API) rawDo(method, path, body string, headers ...string) Response {
	ctx, cancel := context.WithTimeout(context.Background(), CallTimeout)
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, method, path, strings.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	return Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes(), log: a.log.String()}
}

// Post is Do("POST", ...).
func (a *API) Post(path string, body any, headers ...string) Response {
	return a.Do(http.MethodPost, path, body, headers...)
}

// Get is Do("GET", ...).
func (a *API) Get(path string, headers ...string) Response {
	return a.Do(http.MethodGet, path, nil, headers...)
}

// JSON decodes the body into a map (numbers as json.Number, so cents stay exact).
func (r Response) JSON() map[string]any {
	m := map[string]any{}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	_ = dec.Decode(&m)
	return m
}

// Decode decodes the body into v.
func (r Response) Decode(v any) error { return json.Unmarshal(r.Body, v) }

// Int reads a whole-number field of the JSON body (-1 << 62 when absent).
func (r Response) Int(field string) int64 {
	n, ok := r.JSON()[field].(json.Number)
	if !ok {
		return -1 << 62
	}
	v, err := n.Int64()
	if err != nil {
		return -1 << 62
	}
	return v
}

// String reads a string field of the JSON body.
func (r Response) String(field string) string {
	s, _ := r.JSON()[field].(string)
	return s
}

// Describe says what came back, for a failure message. A 500 shows the server's
// last logged error too, which is where an unfinished task's TODO error appears.
func (r Response) Describe() string {
	body := strings.TrimSpace(string(r.Body))
	if len(body) > 300 {
		body = body[:300] + "…"
	}
	s := fmt.Sprintf("%d %s %s", r.Status, http.StatusText(r.Status), body)
	if r.Status >= 500 {
		if line := lastError(r.log); line != "" {
			s += "\nserver log: " + line + stuckHint(line)
		}
	}
	return s
}

// stuckHint explains a deadline that ran out inside the stage's code.
func stuckHint(err string) string {
	if !strings.Contains(err, "context deadline exceeded") || strings.Contains(err, "(a call ran out of time") {
		return ""
	}
	return "\n(a call ran out of time: does a loop never end, such as a retry without a bound? Or " + exercise.OpenTransactionAdvice + ")"
}

func lastError(log string) string {
	lines := strings.Split(strings.TrimSpace(log), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], "level=ERROR") {
			if j := strings.Index(lines[i], "error="); j >= 0 {
				return lines[i][j+len("error="):]
			}
			return lines[i]
		}
	}
	return ""
}

// Status fails the check unless the response has the wanted status.
func (c *Check) Status(r Response, want int) {
	c.t.Helper()
	if r.Status != want {
		if todo, ok := stubOf(r); ok {
			c.t.Fatal(c.stubAnswered(want, r.Status, todo))
		}
		c.Fail(fmt.Sprintf("status %d %s", want, http.StatusText(want)), r.Describe())
	}
}

// NoStub fails with the stub's own message if an unfinished task's stub gave the
// answer r: for a check of r that is not just its status.
func (c *Check) NoStub(r Response) {
	c.t.Helper()
	if todo, ok := stubOf(r); ok {
		c.t.Fatal(c.notDone(todo) + fmt.Sprintf("\n  (the stub answered %d)", r.Status))
	}
}

// stubOf finds the stub behind a 500 (its error in the server's log) or a 501 (a
// stretch task's stub, whose answer names it).
func stubOf(r Response) (*exercise.TodoError, bool) {
	if r.Status < 500 {
		return nil, false
	}
	if todo, ok := exercise.ParseTodo(lastError(r.log)); ok {
		return todo, true
	}
	if r.Status == http.StatusNotImplemented {
		return exercise.ParseTodo(string(r.Body))
	}
	return nil, false
}

// stubAnswered explains a 500 (or, from a stretch task's stub, a 501) that an
// unfinished task's stub caused.
func (c *Check) stubAnswered(want, got int, todo *exercise.TodoError) string {
	return c.notDone(todo) + fmt.Sprintf("\n  (expected status %d, got %d from the stub)", want, got)
}

// NewServerFunc is the signature of every stage's bank.NewServer.
type NewServerFunc func(context.Context, *sqlitedb.DB, *slog.Logger) (*echo.Echo, error)

// StartAPI starts a stage's server on a fresh database, in process, and returns
// a client for it and the database (to look behind the API). The server's context
// ends when the test does, before the database closes: what the server runs in
// the background (stage 4's projections) stops first.
func StartAPI(t testing.TB, newServer NewServerFunc) (*API, *sqlitedb.DB) {
	t.Helper()
	db := OpenDB(t)
	log, serverLog := NewServerLog()
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	e, err := newServer(ctx, db, log)
	if err != nil {
		t.Fatalf("starting the server: %v", err)
	}
	t.Cleanup(func() { failOnPanic(t, serverLog) })
	return NewAPI(e, serverLog), db
}

// Log is what the server has logged so far.
func (a *API) Log() string { return a.log.String() }

// StartAPIOn is StartAPI on the database db (a second server on one file, say).
// stop ends the server's context, as the test's end does.
func StartAPIOn(t testing.TB, db *sqlitedb.DB, newServer NewServerFunc) (api *API, stop context.CancelFunc) {
	t.Helper()
	log, serverLog := NewServerLog()
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	e, err := newServer(ctx, db, log)
	if err != nil {
		t.Fatalf("starting the server: %v", err)
	}
	t.Cleanup(func() { failOnPanic(t, serverLog) })
	return NewAPI(e, serverLog), stop
}

// failOnPanic fails the test if the server recovered from a panic: a request
// that panics got a 500, which a test expecting a 500 could take for the right one.
func failOnPanic(t testing.TB, log *ServerLog) {
	for _, line := range strings.Split(log.String(), "\n") {
		if strings.Contains(line, "msg=panic") {
			t.Errorf("\nThe server panicked while answering a request (a panic is never an answer: return an error).\n  server log: %s", line)
			return
		}
	}
}

// StartQuietAPI is StartAPI for a server whose background work has stopped
// (stage 4 on: its projectors; stage 5 on: its relay too), for a test that must
// be the database's only user: one that counts a command's reads or stages a
// race on the write connection. The server starts, its context ends at once, and
// the test waits until GET /projections (and GET /outbox) say so; commands and
// the write model go on working, as they run on each request's context.
func StartQuietAPI(t testing.TB, newServer NewServerFunc) (*API, *sqlitedb.DB) {
	t.Helper()
	db := OpenDB(t)
	log, serverLog := NewServerLog()
	ctx, stop := context.WithCancel(context.Background())
	e, err := newServer(ctx, db, log)
	stop()
	if err != nil {
		t.Fatalf("starting the server: %v", err)
	}
	t.Cleanup(func() { failOnPanic(t, serverLog) })
	api := NewAPI(e, serverLog)
	for deadline := time.Now().Add(CallTimeout); !api.backgroundStopped(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("starting a server whose background work is stopped (test setup): GET /projections says %s; GET /outbox says %s",
				api.Get("/projections").Body, api.Get("/outbox").Body)
		}
	}
	return api, db
}

// backgroundStopped: every projection says stopped, and so does the relay (a
// stage without them has nothing running in the background).
func (a *API) backgroundStopped() bool {
	var projections struct{ Projections []struct{ Status string } }
	if r := a.Get("/projections"); r.Status != http.StatusNotFound {
		if r.Decode(&projections) != nil || len(projections.Projections) == 0 {
			return false
		}
		for _, p := range projections.Projections {
			if p.Status != "stopped" {
				return false
			}
		}
	}
	var outbox struct{ Relay struct{ Status string } }
	if r := a.Get("/outbox"); r.Status != http.StatusNotFound {
		if r.Decode(&outbox) != nil || outbox.Relay.Status != "stopped" {
			return false
		}
	}
	return true
}

// CheckStagePages checks GET / (HTML naming the stage and mentioning each of
// mustMention), GET /stage and GET /healthz.
func (c *Check) CheckStagePages(api *API, stage int, mustMention ...string) {
	c.t.Helper()
	c.Doing("GET /")
	r := api.Get("/")
	c.Status(r, http.StatusOK)
	for _, want := range append([]string{fmt.Sprintf("Stage %d", stage), "curl"}, mustMention...) {
		c.That(strings.Contains(string(r.Body), want), fmt.Sprintf("an HTML page that mentions %q", want), r.Describe())
	}
	c.Doing("GET /stage")
	r = api.Get("/stage")
	c.Status(r, http.StatusOK)
	c.Equal(int64(stage), r.Int("stage"), "stage")
	var info struct {
		Endpoints []struct{ Method, Path, Curl string }
	}
	c.NoError(r.Decode(&info), "decoding GET /stage")
	c.checkCurlExamples(info.Endpoints)
	c.Doing("GET /healthz")
	c.Status(api.Get("/healthz"), http.StatusOK)
}

var (
	singleQuoted = regexp.MustCompile(`'[^']*'`)
	shellVar     = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)
	shellAssign  = regexp.MustCompile(`(?:^|[;&|(]\s*)([A-Za-z_][A-Za-z0-9_]*)=`)
)

// checkCurlExamples requires the curl examples of GET / and GET /stage to work when
// pasted into a shell in order: no variable inside single quotes (the shell would
// not expand it), and no variable but $BASE (the server's address, which GET /
// fills in) used before an example sets it.
func (c *Check) checkCurlExamples(endpoints []struct{ Method, Path, Curl string }) {
	c.t.Helper()
	set := map[string]bool{"BASE": true}
	for _, ep := range endpoints {
		if ep.Curl == "" {
			continue
		}
		c.Doing("read the curl example of %s %s", ep.Method, ep.Path)
		for _, quoted := range singleQuoted.FindAllString(ep.Curl, -1) {
			c.That(!shellVar.MatchString(quoted), "no shell variable inside single quotes (it would not expand)", quoted)
		}
		unquoted := singleQuoted.ReplaceAllString(ep.Curl, "''")
		for _, m := range shellAssign.FindAllStringSubmatch(unquoted, -1) {
			set[m[1]] = true
		}
		for _, m := range shellVar.FindAllStringSubmatch(unquoted, -1) {
			c.That(set[m[1]], fmt.Sprintf("$%s set by this example or an earlier one", m[1]), ep.Curl)
		}
	}
}

// OpenAccount opens an account for Ada over the API (a test's setup step) and
// returns its id. headers come in pairs, as for Do.
func (c *Check) OpenAccount(api *API, kind string, overdraft int64, headers ...string) string {
	c.t.Helper()
	was, fresh := c.doing, c.fresh
	c.Doing("open a %s account (setup for this test)", kind)
	r := api.Post("/accounts", map[string]any{"owner": "Ada Lovelace", "kind": kind, "currency": "EUR", "overdraft_limit": overdraft}, headers...)
	c.Status(r, http.StatusCreated)
	c.doing, c.fresh = was, fresh // a later failure is reported with what the test was doing, not with its setup
	return r.String("id")
}
