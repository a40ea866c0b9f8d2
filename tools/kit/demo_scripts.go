package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The demo scripts are what a presenter runs in front of the room to break a
// stage on purpose, or to show one of its promises kept: each builds the
// stage's solution (with a known-wrong variant where it shows one), starts it
// on a fresh database, says step by step what to tell the room, and ends with a
// VERDICT line saying what the run showed. Each finishes on its own, so
// `make demos` runs them all in make test and fails when one did not show what
// it is for. One make target each: make demo-race, make demo-why-40, ...

// demoScript is one demo: make demo-NAME.
type demoScript struct {
	name  string
	stage int
	title string
	run   func(d *demo) (verdict string, err error)
}

// demoScripts are the scripts, in the order of the stages they show.
var demoScripts = []demoScript{
	{"race", 1, "40 withdrawals at once: lost updates with read-modify-write, none without", demoRace},
	{"why-40", 2, "why is Ada's balance 40? Her events and their references say", demoWhy40},
	{"retry", 3, "two withdrawals decided on one version: the conflict is retried with a fresh decision", demoRetry},
	{"relay-crash", 5, "the relay killed mid-load and restarted: every message arrives, copies possible", demoRelayCrash},
	{"duplicate", 6, "one message delivered twice: the statement counts it once", demoDuplicate},
	{"rebuild", 6, "a read model rebuilt beside the live one, then switched in one transaction", demoRebuild},
	{"upcast", 7, "rows older releases wrote, read through the upcasters and never changed", demoUpcast},
	{"forget", 8, "a customer forgotten by deleting her key: no event changed, her name in no byte of the file", demoForget},
}

func init() {
	commands["script"] = command{"script NAME|all        run a presenter's demo script (make demo-NAME), or all of them, checking each verdict (make demos)", runScript}
}

func runScript(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: kit script NAME|all; the scripts:\n%s", scriptList())
	}
	if args[0] == "all" {
		return runAllScripts(os.Stdout)
	}
	for _, sc := range demoScripts {
		if sc.name == args[0] {
			return runOneScript(sc, os.Stdout)
		}
	}
	return fmt.Errorf("no demo script %q; the scripts:\n%s", args[0], scriptList())
}

// scriptList names each script with its stage and title.
func scriptList() string {
	t := newTable("make", "stage", "shows")
	for _, sc := range demoScripts {
		t.add("demo-"+sc.name, sc.stage, sc.title)
	}
	return indentLines(t.String(), "  ")
}

// runOneScript runs sc and prints its verdict; it fails when the demo did not
// show what it should.
func runOneScript(sc demoScript, w io.Writer) error {
	s, err := stageByArg(strconv.Itoa(sc.stage))
	if err != nil {
		return err
	}
	if !s.hasSolution() {
		return errNoSolution(s, "make demo-"+sc.name)
	}
	d, err := newDemo(s, w)
	if err != nil {
		return err
	}
	defer abortOnSignal(d)()
	fmt.Fprintf(w, "== make demo-%s · stage %d (%s) ==\n%s\n", sc.name, s.Number, s.Slug, sc.title)
	verdict, err := sc.run(d)
	err = errors.Join(err, d.close())
	if err != nil {
		fmt.Fprintf(w, "\nVERDICT: NOT SHOWN: %v\n", strings.TrimPrefix(err.Error(), errNotShown.Error()+": "))
		return fmt.Errorf("demo-%s did not show what it should", sc.name)
	}
	fmt.Fprintf(w, "\nVERDICT: %s\n", verdict)
	return nil
}

// runAllScripts runs every script, one after the other, and ends with a table
// of their outcomes and times; it fails when any of them failed.
func runAllScripts(w io.Writer) error {
	started := time.Now()
	t := newTable("make", "outcome", "seconds")
	failed := 0
	for _, sc := range demoScripts {
		began := time.Now()
		outcome := "shown"
		if err := runOneScript(sc, w); err != nil {
			fmt.Fprintf(w, "kit script %s: %v\n", sc.name, err)
			outcome, failed = "NOT SHOWN", failed+1
		}
		t.add("demo-"+sc.name, outcome, int(time.Since(began).Seconds()))
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "== make demos: %d scripts in %d s ==\n%s", len(demoScripts), int(time.Since(started).Seconds()), t)
	if failed > 0 {
		return fmt.Errorf("%d of %d demo scripts did not show what they should", failed, len(demoScripts))
	}
	return nil
}

// demo is one run of a demo script: its presenter, its temporary folder (the
// fresh databases), and the servers to stop at the end.
type demo struct {
	*presenter
	stage   stage
	dir     string
	dbs     int
	mu      sync.Mutex // servers, which abort reads on a signal
	servers []*demoServer
}

func newDemo(s stage, w io.Writer) (*demo, error) {
	dir, err := os.MkdirTemp("", "kit-demo-")
	if err != nil {
		return nil, err
	}
	return &demo{presenter: &presenter{w: w}, stage: s, dir: dir}, nil
}

// freshDB is the path of a database file no server has used yet.
func (d *demo) freshDB() string {
	d.dbs++
	return filepath.Join(d.dir, fmt.Sprintf("bank-%d.db", d.dbs))
}

// server builds the stage's solution, with the known-wrong variant called
// variantName ("" for none) and its story told, and starts it on db with extra
// flags.
func (d *demo) server(variantName, db string, extra ...string) (*demoServer, error) {
	v, err := variantStory(d.stage, variantName, d.w)
	if err != nil {
		return nil, err
	}
	bin, err := buildServer(d.stage, v, d.w)
	if err != nil {
		return nil, err
	}
	return d.start(bin, db, extra...)
}

// start starts a built server; close stops it, if the script has not.
func (d *demo) start(bin, db string, extra ...string) (*demoServer, error) {
	srv, err := startServer(bin, db, extra...)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.servers = append(d.servers, srv)
	d.mu.Unlock()
	return srv, nil
}

// close stops the servers still running and removes the temporary folder.
func (d *demo) close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, srv := range d.servers {
		select {
		case <-srv.done:
		default:
			srv.stop()
		}
	}
	return os.RemoveAll(d.dir)
}

// abortOnSignal ends the demo's servers and removes its folder when this
// process is asked to stop (Ctrl-C, or a SIGTERM from CI that reaches only
// this process), so that no server outlives its demo. A closed output
// (make demo-race | head) does not end it half way either: SIGPIPE is taken
// and dropped, the writes fail, and the demo ends and cleans up as usual. It
// returns the function that stops listening.
func abortOnSignal(d *demo) func() {
	signals, pipes := make(chan os.Signal, 1), make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	signal.Notify(pipes, syscall.SIGPIPE) // never read: the signal is dropped
	done := make(chan struct{})
	go func() {
		select {
		case <-signals:
			d.mu.Lock()
			for _, srv := range d.servers {
				_ = srv.cmd.Process.Kill()
			}
			_ = os.RemoveAll(d.dir)
			fmt.Fprintln(os.Stderr, "\ndemo stopped")
			os.Exit(130)
		case <-done:
		}
	}()
	return func() { signal.Stop(signals); signal.Stop(pipes); close(done) }
}

// errNotShown is a demo that ran but did not show what it is for.
var errNotShown = errors.New("the demo did not show what it should")

// notShown says what a demo saw instead of what it should have shown.
func notShown(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errNotShown}, args...)...)
}
