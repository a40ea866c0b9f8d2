package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

// kit tail follows the global log of a running stage server in a terminal, one
// event per line, for a presenter who wants the log on screen without a browser.
//
// The stages serve GET /events?after=N&limit=M (stage 2 on): a page of events after
// position N and the position to ask for next. They do not hold a request open until
// an event arrives, so tail asks again: at once while pages come back full of events,
// and every half second once it has caught up. Each request has its own timeout, so a
// server that hangs is noticed like one that is gone.

// tailPage is the number of events tail asks for at a time: the stages' default page,
// which any stage's limit check accepts.
const tailPage = 100

// tailer follows one server's log and prints it.
type tailer struct {
	base       string // "http://127.0.0.1:8080", without a trailing slash
	client     *http.Client
	out        io.Writer     // the event lines
	notes      io.Writer     // what tail says about the server: lost, back, stopped
	interval   time.Duration // between polls once caught up, and the first retry's wait
	maxBackoff time.Duration // the longest wait between retries while the server is gone
	wide       bool          // print ids whole instead of shortened

	after  int64  // the last position printed (or skipped with -from)
	lastID string // the event id at that position, to recognise the same log after a restart
	header bool   // the column header has been printed
}

func newTailer(base string, out, notes io.Writer) *tailer {
	return &tailer{
		base:       base,
		client:     &http.Client{Timeout: 5 * time.Second},
		out:        out,
		notes:      notes,
		interval:   500 * time.Millisecond,
		maxBackoff: 5 * time.Second,
	}
}

// tailEvent is the part of an event envelope that tail prints. Every stage from 2
// on serves these fields; stage 7 adds stored_as for rows read through upcasters.
type tailEvent struct {
	EventID  string          `json:"event_id"`
	StreamID string          `json:"stream_id"`
	Position int64           `json:"position"`
	Type     string          `json:"type"`
	Data     json.RawMessage `json:"data"`
	Metadata struct {
		CorrelationID string `json:"correlation_id"`
	} `json:"metadata"`
	StoredAs *struct {
		Type          string `json:"type"`
		SchemaVersion int    `json:"schema_version"`
	} `json:"stored_as"`
}

// fatalError is a problem that waiting will not fix: the URL is not a stage server,
// or the stage has no global log. Anything else (refused, timed out, a 5xx) is the
// server being away, and tail waits for it.
type fatalError struct{ msg string }

func (e *fatalError) Error() string { return e.msg }

func fatalf(format string, args ...any) error {
	return &fatalError{fmt.Sprintf(format, args...)}
}

// run follows the log until ctx ends (nil) or a fatal problem (its error).
func (t *tailer) run(ctx context.Context) error {
	wait := t.interval
	away := "" // why the server is unreachable, once the user has been told
	connected := false
	for ctx.Err() == nil {
		var err error
		if !connected {
			err = t.connect(ctx)
		}
		var events []tailEvent
		if err == nil {
			connected = true
			events, err = t.next(ctx)
		}
		var fatal *fatalError
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.As(err, &fatal):
			return err
		case err != nil:
			if away == "" {
				away = err.Error()
				t.sayAway(away)
			}
			connected = false // check again that it is the same stage and log once it is back
			sleep(ctx, wait)
			wait = min(2*wait, t.maxBackoff)
			continue
		}
		away, wait = "", t.interval
		if t.print(events) == 0 {
			sleep(ctx, t.interval) // caught up: ask again in a moment
		}
	}
	return nil
}

// sayAway tells, once per outage, that the server does not answer.
func (t *tailer) sayAway(why string) {
	if !t.header {
		fmt.Fprintf(t.notes, "tail: %s. Is a stage running? make run-stageN (stage 2 on) or make demo starts one.\n"+
			"tail: waiting for it (Ctrl-C stops)\n", why)
		return
	}
	fmt.Fprintf(t.notes, "tail: %s after position %d. Retrying, less often the longer it is away (at most every %s; Ctrl-C stops)\n",
		why, t.after, t.maxBackoff)
}

// connect checks that the URL is a stage server whose stage has a global log.
func (t *tailer) connect(ctx context.Context) error {
	var info struct {
		Stage int    `json:"stage"`
		Slug  string `json:"slug"`
	}
	status, err := t.get(ctx, "/stage", &info)
	switch {
	case err != nil && status == 0:
		return err
	case status >= 500:
		return fmt.Errorf("%s answers GET /stage with %d", t.base, status)
	case err != nil || status != http.StatusOK || info.Stage == 0:
		return fatalf("%s is not a stage server: GET /stage should answer the stage as JSON, and it answered %s.\n"+
			"Start one with make run-stageN (stage 2 or later) or make demo, or point tail at it with URL=http://HOST:PORT", t.base, answered(status, err))
	}
	var probe struct {
		Events []tailEvent `json:"events"`
	}
	status, err = t.get(ctx, "/events?limit=1", &probe)
	switch {
	case status == http.StatusNotFound:
		return fatalf("stage %d (%s) has no global log: GET /events comes in stage 2, with the events.\n"+
			"Follow a stage from 2 on (make run-stage2, or make demo for the latest)", info.Stage, info.Slug)
	case err != nil && status == 0:
		return err
	case status >= 500:
		return fmt.Errorf("%s answers GET /events with %d", t.base, status)
	case err != nil || status != http.StatusOK:
		return fatalf("stage %d at %s does not serve its log as the stages do: GET /events answered %s", info.Stage, t.base, answered(status, err))
	}
	if !t.header {
		fmt.Fprintf(t.notes, "tail: following stage %d (%s) at %s from position %d; Ctrl-C stops\n", info.Stage, info.Slug, t.base, t.after+1)
		fmt.Fprintf(t.out, "%*s  %-*s  %-*s  %*s  %-*s  %s\n", posWidth, "pos", t.streamWidth(), "stream",
			typeWidth, "type", amountWidth, "amount", refWidth, "reference", "correlation")
		t.header = true
		return nil
	}
	fmt.Fprintf(t.notes, "tail: %s answers again (stage %d); following from position %d\n", t.base, info.Stage, t.after+1)
	return nil
}

// next reads the page after the last event printed, and that event too: when it is
// no longer there, the server was restarted on another database (between two polls,
// perhaps, so tail never saw it gone), and tail starts again from its position 1.
func (t *tailer) next(ctx context.Context) ([]tailEvent, error) {
	if t.lastID == "" {
		return t.page(ctx, t.after)
	}
	events, err := t.page(ctx, t.after-1)
	if err != nil || (len(events) > 0 && events[0].Position == t.after && events[0].EventID == t.lastID) {
		return events, err
	}
	fmt.Fprintf(t.notes, "tail: the log at %s is another one now (a new database?): from position 1 again\n", t.base)
	t.after, t.lastID = 0, ""
	return t.page(ctx, 0)
}

// page reads the events after position after.
func (t *tailer) page(ctx context.Context, after int64) ([]tailEvent, error) {
	var body struct {
		Events []tailEvent `json:"events"`
	}
	status, err := t.get(ctx, "/events?after="+strconv.FormatInt(after, 10)+"&limit="+strconv.Itoa(tailPage), &body)
	switch {
	case err != nil && status == 0:
		return nil, err
	case status >= 500:
		return nil, fmt.Errorf("%s answers GET /events with %d", t.base, status)
	case err != nil || status != http.StatusOK:
		return nil, fatalf("GET /events?after=%d answered %s", after, answered(status, err))
	}
	return body.Events, nil
}

// get fetches path and decodes its JSON into v. status is 0 when no answer came.
func (t *tailer) get(ctx context.Context, path string, v any) (status int, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.base+path, nil)
	if err != nil {
		return 0, fatalf("%v", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("no answer from %s (%s)", t.base, reason(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return 0, fmt.Errorf("the answer from %s broke off (%s)", t.base, reason(err))
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, problemDetail(body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return resp.StatusCode, errors.New("not the JSON a stage serves")
	}
	return resp.StatusCode, nil
}

// problemDetail is the detail of a problem+json answer, if it is one.
func problemDetail(body []byte) error {
	var p struct {
		Detail string `json:"detail"`
	}
	if json.Unmarshal(body, &p) == nil && p.Detail != "" {
		return errors.New(p.Detail)
	}
	return nil
}

// answered says what came back, for an error message: "404 (no such route)".
func answered(status int, err error) string {
	s := strconv.Itoa(status) + " " + http.StatusText(status)
	if err != nil {
		s += " (" + err.Error() + ")"
	}
	return s
}

// reason is the end of a transport error, "connection refused", without the URL
// that the message already names.
func reason(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	if errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err) {
		return "it did not answer in time"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}

// The columns, in characters: wide enough for the kit's names, narrow enough that a
// line fits a projector's terminal.
const (
	posWidth    = 6
	streamWidth = 17 // "account-" and 8 of the id's hex digits and "…"
	typeWidth   = 22 // OpeningBalanceMigrated, the longest event name
	amountWidth = 8
	refWidth    = 20
)

func (t *tailer) streamWidth() int {
	if t.wide {
		return len("account-") + 36
	}
	return streamWidth
}

// print writes one line per new event, remembers where the log is, and says how
// many lines it wrote.
func (t *tailer) print(events []tailEvent) int {
	n := 0
	for _, e := range events {
		if e.Position <= t.after {
			continue // never print a position twice, whatever a server sends
		}
		fmt.Fprintln(t.out, t.line(e))
		t.after, t.lastID = e.Position, e.EventID
		n++
	}
	return n
}

// line is one event: position, stream, type, amount and reference when it has them,
// correlation id, and how the row was stored when that differs (stage 7).
func (t *tailer) line(e tailEvent) string {
	var data struct {
		Amount    *int64 `json:"amount"`
		Reference string `json:"reference"`
	}
	_ = json.Unmarshal(e.Data, &data) // an event without these fields prints without them
	amount := ""
	if data.Amount != nil {
		amount = strconv.FormatInt(*data.Amount, 10)
	}
	stream, correlation := e.StreamID, e.Metadata.CorrelationID
	if !t.wide {
		stream, correlation = shortStream(stream), shortUUID(correlation)
	}
	line := fmt.Sprintf("%*d  %-*s  %-*s  %*s  %-*s  %s", posWidth, e.Position, t.streamWidth(), fit(stream, t.streamWidth()),
		typeWidth, printable(e.Type), amountWidth, amount, refWidth, fit(data.Reference, refWidth), printable(correlation))
	if e.StoredAs != nil {
		line += fmt.Sprintf("  (stored as %s v%d)", printable(e.StoredAs.Type), e.StoredAs.SchemaVersion)
	}
	return strings.TrimRight(line, " ")
}

// shortStream shortens the id at the end of "account-<uuid>".
func shortStream(id string) string {
	if len(id) > 36 && isUUID(id[len(id)-36:]) {
		return id[:len(id)-36] + shortUUID(id[len(id)-36:])
	}
	return id
}

// shortUUID keeps 8 hex digits of a UUID, the ones that tell ids apart: the first 8
// of a random (v4) id, the last 8 of a time-ordered (v7) one, whose first digits
// are the clock and the same for every id made in the same minute. The server makes
// a v7 correlation id for a request that sends none. Other ids stay as they are.
func shortUUID(id string) string {
	switch {
	case !isUUID(id):
		return id
	case id[14] == '7':
		return "…" + id[28:]
	default:
		return id[:8] + "…"
	}
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if r != '-' {
				return false
			}
		} else if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

// fit cuts s to n characters, marking the cut.
func fit(s string, n int) string {
	s = printable(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// printable replaces control characters: a reference comes from a client, and a
// stage a learner is still writing may store one that would move the cursor or
// change the terminal's colours.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return '?'
		}
		return r
	}, s)
}

// sleep waits d, or less if ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-timer.C:
	}
}

// baseURL accepts "http://host:port", "host:port" or ":port".
func baseURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if strings.HasPrefix(raw, ":") {
		raw = "127.0.0.1" + raw
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("URL %q is not an http:// address like http://127.0.0.1:8080", raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// runTail is `kit tail [-url U] [-from N] [-wide]`.
func runTail(args []string) error {
	fs := flag.NewFlagSet("tail", flag.ContinueOnError)
	rawURL := fs.String("url", "http://127.0.0.1:8080", "the stage server (make run-stageN, make demo)")
	from := fs.Int64("from", 1, "the first position to print")
	wide := fs.Bool("wide", false, "print stream and correlation ids whole")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected %q; usage: kit tail [-url http://127.0.0.1:8080] [-from N] [-wide]", fs.Arg(0))
	}
	base, err := baseURL(*rawURL)
	if err != nil {
		return err
	}
	if *from < 1 {
		return errors.New("-from is a position, 1 or more")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	t := newTailer(base, os.Stdout, os.Stderr)
	t.after, t.wide = *from-1, *wide
	if err := t.run(ctx); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "\ntail: stopped after position %d (make tail FROM=%d goes on from there)\n", t.after, t.after+1)
	return nil
}
