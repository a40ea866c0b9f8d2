package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"
)

// kit watch is the learner's loop: save a file and the stage's tests run again.
//
// It looks at the files' modification times twice a second instead of asking the
// system to be notified (inotify): on WSL, a file saved by a Windows editor under
// /mnt/c never notifies Linux, but its new time is there to be seen.

const (
	watchEvery = 500 * time.Millisecond // how often the files are looked at
	watchQuiet = 300 * time.Millisecond // a burst of saves is over after this long without one
)

// fileState is what a save changes: the time, and usually the size.
type fileState struct {
	mod  time.Time
	size int64
}

// snapshot records each file under root, leaving out hidden ones and the files
// editors write beside the real one while saving.
func snapshot(root string) map[string]fileState {
	files := map[string]fileState{}
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return nil // a file deleted while we walk: the next look sees it gone
		case path != root && strings.HasPrefix(d.Name(), "."):
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil // vim's .x.go.swp, emacs's .#x.go lock
		case d.IsDir() || editorTemp(d.Name()):
			return nil
		}
		if info, err := d.Info(); err == nil {
			files[path] = fileState{info.ModTime(), info.Size()}
		}
		return nil
	})
	return files
}

// editorTemp reports whether name is an editor's backup or scratch file: emacs's
// x.go~ and #x.go#, vim's swap files and the 4913 it writes to test a folder.
func editorTemp(name string) bool {
	return strings.HasSuffix(name, "~") || name == "4913" ||
		(strings.HasPrefix(name, "#") && strings.HasSuffix(name, "#")) ||
		strings.HasSuffix(name, ".swp") || strings.HasSuffix(name, ".swo") || strings.HasSuffix(name, ".swx")
}

// lastSaved compares two snapshots and names the file saved last (the newest of
// those that changed), or a deleted one if only deletions happened.
func lastSaved(before, after map[string]fileState) (path string, changed bool) {
	var newest time.Time
	for p, st := range after {
		if old, ok := before[p]; (!ok || old != st) && (!changed || st.mod.After(newest)) {
			path, newest, changed = p, st.mod, true
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok && !changed {
			path, changed = p, true
		}
	}
	return path, changed
}

// watcher decides when to run which stage's tests. It runs them itself, in its
// own loop, one run at a time: a save during a run is seen after it.
type watcher struct {
	root   string  // what is polled: stages/, or the one stage given
	stages []stage // the stages a save can belong to
	quiet  time.Duration

	files    map[string]fileState
	stage    *stage    // the stage to test: the one given, or the one saved last
	saved    string    // the file saved last
	lastSave time.Time // when a poll saw it
	pending  bool      // saves seen, tests not yet run

	test func(stage) watchResult // runs a stage's tests and says how it went
	out  io.Writer
	tty  bool // out is a terminal: clear it before each run

	report *statusReport    // make watch REPORT=...: the room board, else nil
	sent   map[int][]string // per stage, the passing tasks the board has from us
}

// watchResult is what a run shows, and which of the stage's tasks pass (nil
// when its tests could not tell: the code does not compile, or go test failed).
type watchResult struct {
	summary string
	passing []string
}

// newWatcher watches the given stage, or, with nil, every stage under stages/.
func newWatcher(given *stage, all []stage) *watcher {
	w := &watcher{root: "stages", stages: all, quiet: watchQuiet, stage: given}
	if given != nil {
		w.root, w.stages = given.StarterDir(), []stage{*given}
	}
	w.files = snapshot(w.root)
	return w
}

// stageOf is the stage a file belongs to: stages/03-aggregates/x.go is stage 3.
func (w *watcher) stageOf(path string) (stage, bool) {
	for _, s := range w.stages {
		if strings.HasPrefix(path, s.StarterDir()+string(filepath.Separator)) {
			return s, true
		}
	}
	return stage{}, false
}

// poll looks at the files once, at time now, and reports whether a burst of saves
// has just ended: the moment to run the tests, once however many files it saved.
func (w *watcher) poll(now time.Time) bool {
	files := snapshot(w.root)
	if path, changed := lastSaved(w.files, files); changed {
		w.files = files
		if s, ok := w.stageOf(path); ok {
			w.stage, w.saved, w.lastSave, w.pending = &s, path, now, true
		}
		return false
	}
	if w.pending && now.Sub(w.lastSave) >= w.quiet {
		w.pending = false
		return true
	}
	return false
}

// loop polls every interval and runs the tests after a burst of saves, or when
// Enter is pressed, until ctx ends.
func (w *watcher) loop(ctx context.Context, every time.Duration, enter chan struct{}) {
	if w.stage != nil {
		w.run(ctx, enter, "started")
	} else {
		w.say("Watching stages/: save a file and its stage's tests run (make watch N=3 picks the stage). Ctrl-C stops.")
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-enter:
			if w.stage == nil {
				w.say("No stage yet: save a file under stages/, or start with make watch N=1.")
				continue
			}
			w.run(ctx, enter, "Enter pressed")
		case now := <-tick.C:
			if w.poll(now) {
				w.run(ctx, enter, filepath.ToSlash(w.saved)+" saved")
			}
		}
	}
}

// run shows that the tests run, runs them, and shows how it went.
func (w *watcher) run(ctx context.Context, enter chan struct{}, why string) {
	s := *w.stage
	head := fmt.Sprintf("──── make watch · stage %d (%s) · %s · %s ────", s.Number, s.Slug, time.Now().Format("15:04:05"), why)
	w.clear()
	fmt.Fprintf(w.out, "%s\nRunning stage %d's tests ...\n", head, s.Number)
	result := w.test(s)
	if ctx.Err() != nil {
		return // Ctrl-C stopped go test too: what it left is no result
	}
	w.clear()
	fmt.Fprintf(w.out, "%s\n\n%s\n\n", head, result.summary)
	if line := w.reportRun(s, result.passing); line != "" {
		fmt.Fprintf(w.out, "%s\n\n", line)
	}
	fmt.Fprintln(w.out, "Save a file to run the tests again · Enter runs them now · Ctrl-C stops")
	for len(enter) > 0 {
		<-enter // Enter pressed during the run: what it shows is already fresh
	}
}

// reportRun tells the room board (make watch REPORT=...) which of stage s's
// tasks pass, when that changed since the board last heard from us, and says
// in one line what it sent. A report names its stage, so the board keeps
// what it knows of the others. A stage that does not compile is not reported:
// mid-edit, it would show the room that nothing passes.
func (w *watcher) reportRun(s stage, passing []string) string {
	if w.report == nil || passing == nil {
		return ""
	}
	if sent, ok := w.sent[s.Number]; ok && slices.Equal(sent, passing) {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := reportProgress(ctx, w.report.url, w.report.nick, passing, s.Number); err != nil {
		return "Room board: not sent (" + err.Error() + "); the next run tries again."
	}
	if w.sent == nil {
		w.sent = map[int][]string{}
	}
	w.sent[s.Number] = passing
	return fmt.Sprintf("Room board: sent %s", reportBody(w.report.nick, passing, s.Number))
}

func (w *watcher) say(line string) { fmt.Fprintln(w.out, line) }

func (w *watcher) clear() {
	if w.tty {
		fmt.Fprint(w.out, "\033[H\033[2J")
	}
}

// maxFailureLines keeps a long failure (a diff of two streams) to one screen.
const maxFailureLines = 30

// watchSummary is what a run shows: the first failure, in full, and where to get a
// hint (unless the failure says it), then one line of progress.
func watchSummary(s stage, tasks []taskProgress, run testRun, took time.Duration) string {
	if run.BuildFail != "" {
		return fmt.Sprintf("Your code in %s does not compile yet:\n\n%s\n\nstage %d: does not compile · fix the first error above",
			s.StarterDir(), screenful(run.BuildFail, 20, s), s.Number)
	}
	var b strings.Builder
	if run.TimedOut {
		fmt.Fprintf(&b, "The tests were stopped after %s: some code never returned (a transaction left open?).\n\n", testTimeout)
	}
	if name := firstFailure(run, tasks); name != "" {
		block := failureBlock(summarizePanics(run.Tests[name].Output, s.StarterDir()))
		b.WriteString(screenful(block, maxFailureLines, s) + "\n\n")
		switch {
		case hintCommand.MatchString(block): // the failure names its hint already
		case taskOfTest(name) != "":
			b.WriteString("Stuck? make hint TASK=" + taskOfTest(name) + "\n\n")
		default:
			b.WriteString("(" + name + " passed on the starter: a change broke it.)\n\n")
		}
	}
	b.WriteString(progressLine(s, tasks, run, took))
	return b.String()
}

var hintCommand = regexp.MustCompile(`make hint TASK=\d+\.\d+`)

// firstFailure is the failing test to show: the first of the first task not done,
// else a broken guard (something that worked in the starter), else a stretch task's.
func firstFailure(run testRun, tasks []taskProgress) string {
	optional := map[string]bool{}
	for _, p := range tasks {
		optional[p.Task.ID] = p.Task.Optional
	}
	var guard, stretch string
	for _, name := range byTask(run) {
		if run.Tests[name].Passed {
			continue
		}
		switch id := taskOfTest(name); {
		case id == "" && guard == "":
			guard = name
		case id != "" && optional[id] && stretch == "":
			stretch = name
		case id != "" && !optional[id]:
			return name
		}
	}
	if guard != "" {
		return guard
	}
	return stretch
}

// progressLine is one line: "stage 3: 2/4 tasks pass · next: 3.3 · 11/19 tests · 8.2 s".
func progressLine(s stage, tasks []taskProgress, run testRun, took time.Duration) string {
	done, required, next, stretch := 0, 0, "", ""
	for _, p := range tasks {
		switch {
		case p.Task.Optional && !p.Done() && stretch == "":
			stretch = p.Task.ID
		case p.Task.Optional:
		case p.Done():
			done, required = done+1, required+1
		default:
			required++
			if next == "" {
				next = p.Task.ID
			}
		}
	}
	passed, guards := 0, 0
	for name, r := range run.Tests {
		if r.Passed {
			passed++
		} else if taskOfTest(name) == "" {
			guards++
		}
	}
	line := fmt.Sprintf("stage %d: %d/%d tasks pass", s.Number, done, required)
	switch {
	case next != "":
		line += " · next: " + next
	case guards == 0:
		line += " · stage done"
		if stretch != "" {
			line += " · stretch task " + stretch + " if you have time"
		}
	}
	if guards > 0 {
		line += fmt.Sprintf(" · %d test(s) that passed on the starter fail now", guards)
	}
	return line + fmt.Sprintf(" · %d/%d tests · %.1f s", passed, len(run.Tests), took.Seconds())
}

var (
	goTestLine = regexp.MustCompile(`^\s*(=== (RUN|PAUSE|CONT|NAME)|--- (FAIL|PASS|SKIP):)`)
	atLine     = regexp.MustCompile(`^\s*[\w.-]+\.go:\d+: ?(.*)$`) // "    deposit_test.go:18: ", where a message starts
)

// failureBlock cuts a test's output to its first message (the spec's Task, Doing,
// Expected, Got, Open and Hint lines), without go test's own lines and indentation.
func failureBlock(output string) string {
	var lines []string
	started := false
	for _, l := range strings.Split(output, "\n") {
		if goTestLine.MatchString(l) {
			continue
		}
		if m := atLine.FindStringSubmatch(l); m != nil {
			if started {
				break // a second message: the first is the one to read
			}
			started, lines = true, nil // what came before (a log line) is not the failure
			if m[1] != "" {
				lines = append(lines, m[1])
			}
			continue
		}
		lines = append(lines, l)
	}
	return strings.TrimSpace(dedent(lines))
}

// dedent removes the indentation all non-blank lines share.
func dedent(lines []string) string {
	indent := -1
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			n := len(l) - len(strings.TrimLeft(l, " \t"))
			if indent < 0 || n < indent {
				indent = n
			}
		}
	}
	for i, l := range lines {
		lines[i] = l[min(max(indent, 0), len(l)):]
	}
	return strings.Join(lines, "\n")
}

// screenful keeps the first n lines of text and says where the rest is.
func screenful(text string, n int, s stage) string {
	lines := strings.Split(text, "\n")
	if len(lines) <= n {
		return text
	}
	return strings.Join(lines[:n], "\n") + fmt.Sprintf("\n… %d more lines: make test-stage%d shows them all", len(lines)-n, s.Number)
}

// runWatch is `kit watch [-report URL] [-nick NAME] [N]`.
func runWatch(args []string) error {
	flags := flag.NewFlagSet("watch", flag.ContinueOnError)
	boardURL := flags.String("report", "", "after each run, send your nickname and the stage's passing tasks to the room board at this URL (make board)")
	nick := flags.String("nick", "", "your nickname on the board (else the one in "+nicknameFile+", else asked once)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	args = flags.Args()
	if len(args) > 1 {
		return fmt.Errorf("usage: kit watch [-report URL] [-nick NAME] [N]")
	}
	report, err := prepareStatusReport(*boardURL, *nick)
	if err != nil {
		return err
	}
	all, err := stages()
	if err != nil {
		return err
	}
	var given *stage
	if len(args) == 1 && args[0] != "" {
		s, err := stageByArg(args[0])
		if err != nil {
			return err
		}
		given = &s
	}
	if _, err := os.Stat("stages"); err != nil {
		return fmt.Errorf("no stages/ folder here: run make watch from the kit's top folder")
	}
	w := newWatcher(given, all)
	w.out, w.test, w.report = os.Stdout, testForWatch, report
	if info, err := os.Stdout.Stat(); err == nil && info.Mode()&os.ModeCharDevice != 0 {
		w.tty = true
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop) // a second Ctrl-C stops at once, even during a run
	enter := make(chan struct{}, 1)
	go func() {
		lines := bufio.NewScanner(os.Stdin)
		for lines.Scan() {
			select {
			case enter <- struct{}{}:
			default: // one press waiting is enough
			}
		}
	}()
	w.loop(ctx, watchEvery, enter)
	fmt.Println("\nwatch stopped.")
	return nil
}

// testForWatch runs a stage's tests as make test-stageN does and summarises them.
func testForWatch(s stage) watchResult {
	start := time.Now()
	tasks, run, err := progress(s)
	if err != nil {
		return watchResult{summary: "The tests could not run: " + err.Error()}
	}
	result := watchResult{summary: watchSummary(s, tasks, run, time.Since(start))}
	if run.BuildFail == "" {
		result.passing = []string{}
		for _, p := range tasks {
			if p.Done() {
				result.passing = append(result.passing, p.Task.ID)
			}
		}
	}
	return result
}
