package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"mime"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

// The room board is for presenters: attendees who opt in (make status
// REPORT=http://HOST:PORT) send a nickname and the ids of the tasks that pass,
// and the board shows the room as a grid, with the task most of the room is on.
//
// Anyone on the network can reach it and nobody logs in, so it trusts nothing it
// is sent: a report is small, strict JSON; a nickname is short printable text;
// task ids are the kit's own; the room and the rate of reports are bounded; and
// every refusal is a 4xx with a JSON problem that says why. It writes one file,
// its own state (.data/board.json), so that a board stopped by accident (a
// closed terminal, a laptop gone to sleep) comes back with the room instead of
// an empty grid that fills only as each attendee runs make status again.

// boardStateFile is the board's only write: the room, so a restart keeps it.
const boardStateFile = ".data/board.json"

// boardLimits bound what a board accepts. A zero interval switches its limit off
// (the tests do that for a room simulated on one address).
type boardLimits struct {
	MaxBody      int64         // bytes in a report
	MaxAttendees int           // nicknames the board keeps
	NickEvery    time.Duration // one report per nickname per NickEvery
	AddrEvery    time.Duration // from one remote address: AddrBurst reports, then one per AddrEvery
	AddrBurst    int
}

// defaultBoardLimits are far above what an honest room sends: make status takes
// many seconds per run. The address limit lets a few attendees share an address
// (a NAT, a VM host) while a flood from one machine stays at 5 reports a second.
var defaultBoardLimits = boardLimits{
	MaxBody:      4 << 10,
	MaxAttendees: 200,
	NickEvery:    time.Second,
	AddrEvery:    200 * time.Millisecond,
	AddrBurst:    10,
}

// maxNickLen is in characters (runes), not bytes: "Zoë" is three.
const maxNickLen = 24

// boardStage is one stage's tasks, in the kit's order.
type boardStage struct {
	Number int
	Slug   string
	Tasks  []task
}

// attendee is what the board knows about one person: what they sent, and when.
type attendee struct {
	Nick    string    `json:"nick"`
	Passing []string  `json:"passing"` // in the kit's task order
	Seen    time.Time `json:"seen"`
}

// roomBoard holds the room in memory; statePath (if set) keeps a copy on disk.
type roomBoard struct {
	stages    []boardStage
	order     map[string]int // task id → its place in the kit's order
	stageOf   map[string]int // task id → its stage's number
	limits    boardLimits
	statePath string
	joinURL   string // what attendees pass as REPORT=, shown on the page
	log       io.Writer
	now       func() time.Time

	mu        sync.Mutex
	attendees map[string]*attendee
	version   int // bumped on every accepted report; the page reloads when it changes
	byNick    *rateLimiter
	byAddr    *rateLimiter
}

// progress says how many tasks pass, counted as the page counts them: the
// required tasks, and the stretch tasks apart.
func (b *roomBoard) progress(passing []string) string {
	var done, required, stretchDone, stretch int
	for _, s := range b.stages {
		for _, t := range s.Tasks {
			has := slices.Contains(passing, t.ID)
			if t.Optional {
				stretch++
				if has {
					stretchDone++
				}
				continue
			}
			required++
			if has {
				done++
			}
		}
	}
	return fmt.Sprintf("%d of %d tasks pass, %d of %d stretch", done, required, stretchDone, stretch)
}

func newRoomBoard(stages []boardStage, limits boardLimits) *roomBoard {
	b := &roomBoard{stages: stages, order: map[string]int{}, stageOf: map[string]int{}, limits: limits, log: io.Discard, now: time.Now,
		attendees: map[string]*attendee{},
		byNick:    newRateLimiter(limits.NickEvery, 1),
		byAddr:    newRateLimiter(limits.AddrEvery, limits.AddrBurst)}
	for _, s := range stages {
		for _, t := range s.Tasks {
			b.order[t.ID] = len(b.order)
			b.stageOf[t.ID] = s.Number
		}
	}
	return b
}

// kitBoardStages reads the kit's task list as make status does: every stage's
// exercises_test/NN-*/tasks.md. A stage without one (only in solutions/, not yet
// generated) has no tasks to report.
func kitBoardStages() ([]boardStage, error) {
	list, err := stages()
	if err != nil {
		return nil, err
	}
	var out []boardStage
	for _, s := range list {
		ts, err := loadTasks(s)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, boardStage{Number: s.Number, Slug: s.Slug, Tasks: ts})
	}
	return out, nil
}

// boardReport is the whole of what an attendee sends. make status reports
// every stage; make watch runs one stage's tests, so it names that stage in
// Stages, and the board keeps what it knew of the others.
type boardReport struct {
	Nick    string    `json:"nick"`
	Passing *[]string `json:"passing"`          // a pointer, to tell a missing list from an empty one
	Stages  []int     `json:"stages,omitempty"` // the stages reported on; none: all of them
}

// problem is an RFC 9457 problem detail: every refusal is one, with a detail a
// person can act on.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

func writeProblem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail})
}

// handler serves the page (GET /), the room as JSON (GET /state.json) and the
// reports (POST /report). Everything else is a 404 problem.
func (b *roomBoard) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", b.servePage)
	mux.HandleFunc("GET /state.json", b.serveState)
	mux.HandleFunc("/report", b.serveReport)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, http.StatusNotFound, "the board has GET /, GET /state.json and POST /report")
	})
	return mux
}

// serveReport takes one attendee's report. The checks go from cheapest to
// dearest, and the address limit comes before the body is read, so a flood of
// garbage costs the board almost nothing.
func (b *roomBoard) serveReport(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeProblem(w, http.StatusMethodNotAllowed, "reports are POSTed here: make status REPORT=http://HOST:PORT")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeProblem(w, http.StatusUnsupportedMediaType, "a report is JSON: send Content-Type: application/json")
		return
	}
	addr, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		addr = r.RemoteAddr
	}
	if wait := b.allow(b.byAddr, addr); wait > 0 {
		tooMany(w, wait, "too many reports from your address")
		return
	}
	report, err := decodeReport(http.MaxBytesReader(w, r.Body, b.limits.MaxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeProblem(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("a report is at most %d bytes", b.limits.MaxBody))
		return
	case err != nil:
		writeProblem(w, http.StatusBadRequest, "not a report: "+err.Error()+`; a report is {"nick":"ada","passing":["1.1","1.2"]}`)
		return
	}
	nick, err := checkNick(report.Nick)
	if err != nil {
		writeProblem(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	passing, err := b.checkTasks(report.Passing)
	if err == nil {
		err = b.checkStages(report.Stages, passing)
	}
	if err != nil {
		writeProblem(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	if wait := b.allow(b.byNick, nick); wait > 0 {
		tooMany(w, wait, "too many reports for nickname "+strconv.Quote(nick))
		return
	}
	room, err := b.record(nick, passing, report.Stages)
	if err != nil {
		writeProblem(w, http.StatusForbidden, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"nick": nick, "passing": len(passing), "attendees": room})
}

// tooMany is a 429 whose Retry-After is in whole seconds, at least one.
func tooMany(w http.ResponseWriter, wait time.Duration, why string) {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeProblem(w, http.StatusTooManyRequests, fmt.Sprintf("%s: try again in %d s", why, secs))
}

// decodeReport reads exactly one JSON object with no field the board does not
// know (a field it ignored would be data an attendee sent for nothing).
func decodeReport(body io.Reader) (boardReport, error) {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	var rep boardReport
	if err := dec.Decode(&rep); err != nil {
		return rep, err
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return rep, err
		}
		return rep, errors.New("more than one JSON value")
	}
	return rep, nil
}

// checkNick trims a nickname and accepts 1 to 24 printable characters. Control
// characters (terminal escapes in the board's log), invisible formatting
// (right-to-left overrides) and odd spaces are refused; HTML is fine, since the
// page escapes every value.
func checkNick(raw string) (string, error) {
	nick := strings.TrimSpace(raw)
	n := utf8.RuneCountInString(nick)
	switch {
	case n == 0:
		return "", errors.New("the nickname is empty: choose one, 1 to 24 characters")
	case n > maxNickLen:
		return "", fmt.Errorf("the nickname has %d characters; at most %d", n, maxNickLen)
	case !utf8.ValidString(nick):
		return "", errors.New("the nickname is not valid UTF-8")
	}
	for _, c := range nick {
		if !unicode.IsPrint(c) {
			return "", fmt.Errorf("the nickname has a character that is not printable (%U): letters, digits, punctuation and spaces only", c)
		}
	}
	return nick, nil
}

// checkTasks accepts the kit's own task ids, each once, and puts them in the
// kit's order.
func (b *roomBoard) checkTasks(ids *[]string) ([]string, error) {
	if ids == nil {
		return nil, errors.New(`"passing" is missing: the ids of the tasks that pass, [] when none does yet`)
	}
	seen := map[string]bool{}
	for _, id := range *ids {
		if _, ok := b.order[id]; !ok {
			return nil, fmt.Errorf("%q is not one of the kit's tasks (they look like 2.3): is your kit older or newer than the presenter's?", clip(id))
		}
		if seen[id] {
			return nil, fmt.Errorf("task %s is listed twice", id)
		}
		seen[id] = true
	}
	out := slices.Clone(*ids)
	slices.SortFunc(out, func(x, y string) int { return b.order[x] - b.order[y] })
	return out, nil
}

// checkStages accepts the numbers of the kit's stages, each once, and only
// tasks of those stages in passing.
func (b *roomBoard) checkStages(numbers []int, passing []string) error {
	known := map[int]bool{}
	for _, s := range b.stages {
		known[s.Number] = true
	}
	seen := map[int]bool{}
	for _, n := range numbers {
		if !known[n] {
			return fmt.Errorf("stage %d is not one of the kit's stages", n)
		}
		if seen[n] {
			return fmt.Errorf("stage %d is listed twice", n)
		}
		seen[n] = true
	}
	if len(numbers) == 0 {
		return nil
	}
	for _, id := range passing {
		if !seen[b.stageOf[id]] {
			return fmt.Errorf("task %s is not in the stages the report is about (%v)", id, numbers)
		}
	}
	return nil
}

// clip cuts what an attendee sent before it goes into an error message.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= 24 {
		return s
	}
	return string([]rune(s)[:24]) + "…"
}

func (b *roomBoard) allow(l *rateLimiter, key string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return l.allow(key, b.now())
}

// record stores a report and returns how many attendees the board has. A new
// nickname in a full room is refused; one the board knows is always updated.
// A report about some stages only (make watch) replaces those stages' tasks
// and keeps the rest.
func (b *roomBoard) record(nick string, passing []string, stages []int) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	known := b.attendees[nick]
	if known == nil && len(b.attendees) >= b.limits.MaxAttendees {
		return 0, fmt.Errorf("the room is full: the board takes %d nicknames", b.limits.MaxAttendees)
	}
	if known != nil && len(stages) > 0 {
		var kept []string
		for _, id := range known.Passing {
			if !slices.Contains(stages, b.stageOf[id]) {
				kept = append(kept, id)
			}
		}
		passing = append(kept, passing...)
		slices.SortFunc(passing, func(x, y string) int { return b.order[x] - b.order[y] })
	}
	now := b.now()
	b.attendees[nick] = &attendee{Nick: nick, Passing: passing, Seen: now}
	b.version++
	fmt.Fprintf(b.log, "%s %q: %s\n", now.Format("15:04:05"), nick, b.progress(passing))
	if err := b.saveLocked(); err != nil {
		// The report is taken: losing the copy on disk is the board's problem, not the attendee's.
		fmt.Fprintf(b.log, "cannot keep the room in %s: %v\n", b.statePath, err)
	}
	return len(b.attendees), nil
}

// boardState is the file the board keeps: the attendees, and nothing else.
type boardState struct {
	Attendees []attendee `json:"attendees"`
}

// saveLocked writes the room to statePath through a temporary file and a
// rename, so a board stopped mid-write leaves the old file whole.
func (b *roomBoard) saveLocked() error {
	if b.statePath == "" {
		return nil
	}
	var st boardState
	for _, a := range b.sortedLocked() {
		st.Attendees = append(st.Attendees, *a)
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(b.statePath), 0o755); err != nil {
		return err
	}
	tmp := b.statePath + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, b.statePath)
}

// restore reads the room back from statePath, checking every entry as if it had
// just been reported: a task the kit no longer has is dropped, a bad entry skipped.
func (b *roomBoard) restore() (int, error) {
	f, err := os.Open(b.statePath)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var st boardState
	if err := json.NewDecoder(io.LimitReader(f, 4<<20)).Decode(&st); err != nil {
		return 0, fmt.Errorf("%s: %w (make board FRESH=1 starts an empty room)", b.statePath, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, a := range st.Attendees {
		nick, err := checkNick(a.Nick)
		if err != nil || len(b.attendees) >= b.limits.MaxAttendees {
			continue
		}
		known := []string{}
		for _, id := range a.Passing {
			if _, ok := b.order[id]; ok && !slices.Contains(known, id) {
				known = append(known, id)
			}
		}
		passing, _ := b.checkTasks(&known)
		b.attendees[nick] = &attendee{Nick: nick, Passing: passing, Seen: a.Seen}
	}
	b.version++
	return len(b.attendees), nil
}

// sortedLocked lists the attendees by nickname, ignoring case, so a row stays put
// as the room progresses (a ranking would turn the room into a race).
func (b *roomBoard) sortedLocked() []*attendee {
	out := make([]*attendee, 0, len(b.attendees))
	for _, a := range b.attendees {
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y *attendee) int {
		if c := strings.Compare(strings.ToLower(x.Nick), strings.ToLower(y.Nick)); c != 0 {
			return c
		}
		return strings.Compare(x.Nick, y.Nick)
	})
	return out
}

// rateLimiter allows burst events per key at once, then one per every: a
// generic cell rate algorithm, which needs one time per key.
type rateLimiter struct {
	every time.Duration
	burst int
	next  map[string]time.Time // when the key's bucket is empty again
}

func newRateLimiter(every time.Duration, burst int) *rateLimiter {
	return &rateLimiter{every: every, burst: max(1, burst), next: map[string]time.Time{}}
}

// allow returns 0 if key may go on now (and counts it), else how long to wait.
func (l *rateLimiter) allow(key string, now time.Time) time.Duration {
	if l.every <= 0 {
		return 0
	}
	if len(l.next) > 10_000 { // forget the idle keys, so the map stays bounded
		for k, t := range l.next {
			if !t.After(now) {
				delete(l.next, k)
			}
		}
	}
	tat := l.next[key]
	if tat.Before(now) {
		tat = now
	}
	if wait := tat.Sub(now) - time.Duration(l.burst-1)*l.every; wait > 0 {
		return wait
	}
	l.next[key] = tat.Add(l.every)
	return 0
}

// runBoard is make board.
func runBoard(args []string) error {
	fs := flag.NewFlagSet("board", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:7070", "address to listen on: 0.0.0.0:7070 opens the board to the room's network")
	fresh := fs.Bool("fresh", false, "start with an empty room instead of the one kept in "+boardStateFile)
	if err := fs.Parse(args); err != nil {
		return err
	}
	list, err := kitBoardStages()
	if err != nil {
		return err
	}
	b := newRoomBoard(list, defaultBoardLimits)
	b.statePath, b.log = boardStateFile, os.Stdout
	if !*fresh {
		n, err := b.restore()
		if err != nil {
			return err
		}
		if n > 0 {
			fmt.Printf("Restored %d attendees from %s (make board FRESH=1 starts an empty room).\n", n, boardStateFile)
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (try make board ADDR=127.0.0.1:7071)", *addr, err)
	}
	urls, local := joinURLs(ln.Addr().(*net.TCPAddr))
	b.joinURL = urls[0]
	srv := &http.Server{Handler: b.handler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 8 << 10}
	go func() { _ = srv.Serve(ln) }()

	open := ln.Addr().(*net.TCPAddr)
	if open.IP.IsUnspecified() {
		open = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: open.Port}
	}
	fmt.Printf("The room board is on http://%s/ (open it on the projector).\n", open)
	if local {
		fmt.Printf("It listens on loopback, so only this machine can report; make board ADDR=0.0.0.0:7070 opens it to the room.\n")
	}
	fmt.Println("Attendees who want to be on it run:")
	for _, u := range urls {
		fmt.Printf("  make status REPORT=%s\n", u)
	}
	fmt.Println("or the same REPORT= on make watch, which reports after each run.")
	fmt.Println("They send a nickname they choose and the ids of the tasks that pass, nothing else. Ctrl-C stops.")
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	<-signals
	_ = srv.Close()
	fmt.Printf("\nThe room is kept in %s.\n", boardStateFile)
	return nil
}

// joinURLs are the URLs attendees can report to: the listening address itself,
// or for 0.0.0.0 (or ::) this machine's addresses on the room's network.
// local says the board listens on loopback only.
func joinURLs(addr *net.TCPAddr) (urls []string, local bool) {
	port := strconv.Itoa(addr.Port)
	if !addr.IP.IsUnspecified() {
		return []string{"http://" + net.JoinHostPort(addr.IP.String(), port)}, addr.IP.IsLoopback()
	}
	ifaces, _ := net.InterfaceAddrs()
	for _, a := range ifaces {
		ip, ok := a.(*net.IPNet)
		if ok && ip.IP.To4() != nil && !ip.IP.IsLoopback() && !ip.IP.IsLinkLocalUnicast() {
			urls = append(urls, "http://"+net.JoinHostPort(ip.IP.String(), port))
		}
	}
	if len(urls) == 0 { // no network: only this machine can report
		return []string{"http://" + net.JoinHostPort("127.0.0.1", port)}, true
	}
	return urls, false
}
