package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-es-workshop/kit/internal/tasks"
)

// testResult is one top-level test of a `go test -json` run.
type testResult struct {
	Name   string
	Passed bool
	Output string
}

// testTimeout stops a test binary whose code never returns. The tests bound each
// call into stage code (spec.CallTimeout), so this is the last line of defence.
const testTimeout = 2 * time.Minute

// testRun is the outcome of one `go test -json` invocation.
type testRun struct {
	Tests     map[string]*testResult
	Order     []string // top-level tests in the order they ran (source order)
	BuildFail string   // compiler output when the package did not build
	Panicked  bool
	TimedOut  bool   // go test stopped the binary after testTimeout
	CrashedIn string // the test whose panic ended the binary: the tests after it did not run

	failedBuild string // import path of the package that did not compile
}

// goTestOptions select what a run tests against and how.
type goTestOptions struct {
	Overlay string   // -overlay file: stage files replaced by solution (or variant) files
	Race    bool     // -race (only where cgo works)
	Run     string   // -run pattern
	Env     []string // extra environment, e.g. CGO_ENABLED=0
}

// goTest runs one package's tests and collects per-test results.
func goTest(pkg string, opt goTestOptions) (testRun, error) {
	runs, err := goTestPackages([]string{pkg}, opt)
	return runs[pkg], err
}

// goTestPackages runs the tests of several packages in one go test call (which
// builds and runs them in parallel) and collects the results per package, keyed
// by the paths as given ("./exercises_test/01-crud").
func goTestPackages(pkgs []string, opt goTestOptions) (map[string]testRun, error) {
	args := []string{"test", "-json", "-count=1", "-timeout=" + testTimeout.String()}
	if opt.Overlay != "" {
		args = append(args, "-overlay="+opt.Overlay)
	}
	if opt.Race {
		args = append(args, "-race")
	}
	if opt.Run != "" {
		args = append(args, "-run="+opt.Run)
	}
	cmd := exec.Command("go", append(args, pkgs...)...)
	cmd.Env = append(os.Environ(), opt.Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, _ := cmd.Output() // a failing test exits non-zero; the JSON says which
	runs := map[string]*testRun{}
	builds := map[string]*strings.Builder{}
	byImportPath := func(path string) string { // the given form of an import path
		for _, p := range pkgs {
			if strings.HasSuffix(path, strings.TrimPrefix(p, ".")) {
				return p
			}
		}
		return ""
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var ev testEvent
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			continue
		}
		if ev.Action == "build-output" {
			if builds[ev.ImportPath] == nil {
				builds[ev.ImportPath] = &strings.Builder{}
			}
			builds[ev.ImportPath].WriteString(ev.Output)
			continue
		}
		pkg := byImportPath(ev.Package)
		if runs[pkg] == nil {
			runs[pkg] = &testRun{Tests: map[string]*testResult{}}
		}
		runs[pkg].record(ev)
	}
	result := map[string]testRun{}
	for _, pkg := range pkgs {
		run := runs[pkg]
		if run == nil {
			run = &testRun{Tests: map[string]*testResult{}}
		}
		if len(run.Tests) == 0 {
			msg := stderr.String()
			if b := builds[run.failedBuild]; b != nil {
				msg = b.String() + msg
			}
			if msg = strings.TrimSpace(msg); msg == "" {
				msg = "no tests ran"
			}
			run.BuildFail = msg
		}
		result[pkg] = *run
	}
	return result, nil
}

// testEvent is one line of go test -json.
type testEvent struct {
	Action, Package, ImportPath, Test, Output string
	FailedBuild                               string // on a package's fail: the package that did not compile
}

// record adds one event to the run of its package.
func (run *testRun) record(ev testEvent) {
	if strings.Contains(ev.Output, "panic: test timed out") {
		run.TimedOut = true
	} else if strings.Contains(ev.Output, "panic: ") {
		run.Panicked = true
		if top, _, _ := strings.Cut(ev.Test, "/"); top != "" && run.CrashedIn == "" && isCrash(ev.Output) {
			run.CrashedIn = top
		}
	}
	if ev.Test == "" {
		if ev.FailedBuild != "" {
			run.failedBuild = ev.FailedBuild
		}
		return
	}
	top, _, sub := strings.Cut(ev.Test, "/")
	r := run.Tests[top]
	if sub {
		if r != nil && ev.Action == "output" {
			r.Output += ev.Output
		}
		return
	}
	if r == nil {
		r = &testResult{Name: ev.Test}
		run.Tests[ev.Test] = r
		run.Order = append(run.Order, ev.Test)
	}
	switch ev.Action {
	case "output":
		r.Output += ev.Output
	case "pass":
		r.Passed = true
	case "fail":
		r.Passed = false
	}
}

// sortedNames lists a run's test names in order.
func (r testRun) sortedNames() []string {
	names := make([]string, 0, len(r.Tests))
	for n := range r.Tests {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// taskOfTest returns "2.3" for Test2_3_..., or "" for a guard test (TestGuard_...,
// which checks behaviour that is already there, on starter and solution alike).
func taskOfTest(name string) string {
	id, _ := tasks.OfTest(name)
	return id
}

// writeOverlay writes a go build -overlay file that replaces every file of stage s's
// starter with the solution's, and each file in replace (stage-relative name -> path)
// with the given path.
func writeOverlay(s stage, file string, replace map[string]string) error {
	g, err := generate(s)
	if err != nil {
		return err
	}
	o := struct{ Replace map[string]string }{Replace: map[string]string{}}
	for rel := range g.Files {
		if !strings.HasSuffix(rel, ".go") || strings.Contains(rel, "/") {
			continue // the tests import the stage's root package only
		}
		starter, err := filepath.Abs(filepath.Join(s.StarterDir(), filepath.FromSlash(rel)))
		if err != nil {
			return err
		}
		solution, _ := filepath.Abs(filepath.Join(s.SolutionDir(), filepath.FromSlash(rel)))
		if r, ok := replace[rel]; ok {
			solution = r
		}
		o.Replace[starter] = solution
	}
	data, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, data, 0o644)
}

// runOverlay is `kit overlay N FILE`, for running any go command against a solution.
func runOverlay(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: kit overlay N FILE")
	}
	s, err := stageByArg(args[0])
	if err != nil {
		return err
	}
	return writeOverlay(s, args[1], nil)
}

// cgoWorks reports whether this machine can build with cgo (and so use -race).
func cgoWorks() bool {
	out, err := exec.Command("go", "env", "CGO_ENABLED").Output()
	return err == nil && strings.TrimSpace(string(out)) == "1"
}
