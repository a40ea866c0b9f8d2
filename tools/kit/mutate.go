package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Mutation testing proves that a stage's tests reject wrong code, not just the
// mistakes someone thought of: it makes small changes (mutants) all over the
// solution — a comparison's boundary moved, a condition dropped, a statement
// left out, + made -, an early return, a query's order reversed — and requires
// the stage's tests to fail on each. A mutant the tests pass is a hole: a learner
// could write that code and see green.
//
// Every mutant sits behind a switch in one rewritten copy of the solution
// (internal/mutant), so one test binary per stage serves them all. A first run
// traces which tests reach which mutants; each mutant then runs only those tests,
// fastest first, stopping at the first failure.

// mutationGoal is the share of a stage's mutants its tests must kill.
const mutationGoal = 0.90

// equivalentFile lists, per stage, the mutants that change no behaviour, each
// with its reason (exercises_test/NN-topic/mutants-equivalent.txt).
const equivalentFile = "mutants-equivalent.txt"

func runMutate(args []string) error {
	verbose, incremental := false, false
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-v":
			verbose = true
		case "-incremental":
			incremental = true
		case "-inputs":
			return printInputs(args[1:])
		default:
			return fmt.Errorf("usage: kit mutate [-v] [-incremental] [N...] | kit mutate -inputs [N...]")
		}
		args = args[1:]
	}
	list, err := selectStages(args)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "kit-mutate-")
	if err == nil {
		tmp, err = filepath.Abs(tmp)
	}
	if err != nil {
		return err
	}
	if os.Getenv("KIT_MUTATE_KEEP") == "" {
		defer os.RemoveAll(tmp)
	} else {
		fmt.Println("mutant binaries kept in", tmp, "(run one: cd exercises_test/NN-topic && KIT_MUTANT=ID", tmp+"/NN-topic/mutants.test -test.v)")
	}
	started := time.Now()
	// The stages run at once on one pool of test runs: while one stage compiles or
	// traces, another's mutants keep the pool busy. Reports print in stage order.
	pool := newRunPool(workers())
	runs := make([]mutationRun, len(list))
	errs := make([]error, len(list))
	var wg sync.WaitGroup
	for i, s := range list {
		wg.Go(func() { runs[i], errs[i] = mutateStage(s, tmp, pool, incremental) })
	}
	wg.Wait()
	var problems []string
	total, killed := 0, 0
	for i, res := range runs {
		if errs[i] != nil {
			return fmt.Errorf("stage %d: %w", res.stage.Number, errs[i])
		}
		stageProblems := res.report(verbose)
		problems = append(problems, stageProblems...)
		if len(stageProblems) == 0 && !res.fromLedger {
			if err := writeLedger(res, res.inputs); err != nil {
				return err
			}
		}
		total += len(res.mutants)
		killed += res.killed()
	}
	fmt.Printf("mutate: %d of %d mutants killed in %s (%d test runs at a time)\n", killed, total, time.Since(started).Round(time.Second), workers())
	if len(problems) > 0 {
		return fmt.Errorf("%d problem(s):\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	return nil
}

// runPool bounds how many test binaries run at once, across every stage; a build
// (go test -c, itself parallel) takes one turn too.
type runPool chan struct{}

func newRunPool(n int) runPool { return make(runPool, n) }

// do runs f in a turn of the pool.
func (p runPool) do(f func()) {
	p <- struct{}{}
	defer func() { <-p }()
	f()
}

// mutationRun is the outcome of one stage.
type mutationRun struct {
	stage      stage
	mutants    []mutantInfo
	equivalent map[string]string // key -> reason, from the stage's list
	took       time.Duration
	inputs     string // the hash its ledger records
	fromLedger bool   // settled by the ledger and a sample of its kills
	sampled    int    // how many of the ledger's kills were run again
}

func (r mutationRun) killed() int {
	n := 0
	for _, m := range r.mutants {
		if m.Killed {
			n++
		}
	}
	return n
}

// mutateStage builds the stage's mutant binary, traces it, and runs every mutant;
// incremental, it first tries the stage's ledger (mutate_ledger.go).
func mutateStage(s stage, tmp string, pool runPool, incremental bool) (mutationRun, error) {
	run := mutationRun{stage: s}
	inputs, err := stageInputs(s)
	if err != nil {
		return run, err
	}
	sch, err := buildSchemata(s)
	if err != nil {
		return run, err
	}
	equivalent, err := loadEquivalents(s)
	if err != nil {
		return run, err
	}
	var bin string
	pool.do(func() { bin, err = buildMutantBinary(s, sch, tmp) })
	if err != nil {
		return run, err
	}
	l, haveLedger, err := readLedger(s)
	if err != nil {
		return run, err
	}
	if incremental {
		switch {
		case !haveLedger:
			fmt.Printf("stage %d: no %s yet: running every mutant\n", s.Number, ledgerFile)
		case l.Inputs != inputs:
			fmt.Printf("stage %d: changed since its %s: running every mutant (commit the new ledger)\n", s.Number, ledgerFile)
		default:
			settled, why := fromLedger(s, l, sch, bin, pool)
			if why == "" {
				settled.equivalent, settled.inputs = equivalent, inputs
				return settled, nil
			}
			fmt.Printf("stage %d: %s disagrees (%s): running every mutant\n", s.Number, ledgerFile, why)
		}
	}
	run.equivalent, run.inputs = equivalent, inputs
	started := time.Now()
	cover, durations, err := traceTests(s, bin, tmp, pool)
	if err != nil {
		return run, err
	}
	run.mutants = sch.Mutants
	var wg sync.WaitGroup
	for i := range run.mutants {
		m := &run.mutants[i]
		m.Tests = fastestFirst(cover[m.ID], durations)
		if _, listed := equivalent[m.Key]; listed && l.Verdict[m.Key] == "equivalent" {
			// Proved equivalent, and it survived the last full run: running every
			// test that reaches it again cannot change this run's verdict.
			m.Reason = "equivalent (listed; it survived the last full run too)"
			continue
		}
		killer := lastKiller(l.Verdict[m.Key])
		wg.Go(func() {
			pool.do(func() {
				began := time.Now()
				killMutant(s, bin, m, killer, durations)
				m.Took = time.Since(began)
			})
		})
	}
	wg.Wait()
	run.took = time.Since(started)
	return run, nil
}

// workers is how many test binaries run at once: the tests wait on SQLite's disk
// writes as much as on the CPU, so one more than the cores.
func workers() int {
	if n, err := strconv.Atoi(os.Getenv("KIT_MUTATE_WORKERS")); err == nil && n > 0 {
		return n
	}
	return runtime.NumCPU() + 1
}

// buildMutantBinary compiles the stage's tests against the rewritten solution.
func buildMutantBinary(s stage, sch schemata, tmp string) (string, error) {
	dir := filepath.Join(tmp, s.Slug)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	replace := map[string]string{}
	for name, src := range sch.Files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, src, 0o644); err != nil {
			return "", err
		}
		replace[name] = path
	}
	overlay := filepath.Join(dir, "overlay.json")
	if err := writeOverlay(s, overlay, replace); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "mutants.test")
	if abs, err := filepath.Abs(bin); err == nil {
		bin = abs
	}
	cmd := exec.Command("go", "test", "-c", "-o", bin, "-overlay", overlay, s.TestPkg())
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("the mutant build failed (a bug in tools/kit/mutate_sites.go; files in %s):\n%s", dir, out)
	}
	return bin, nil
}

// traceTests runs each test alone with tracing on: which mutants it reaches,
// and how long it takes with no mutant switched on. Every test must pass here.
func traceTests(s stage, bin, tmp string, pool runPool) (map[int][]string, map[string]time.Duration, error) {
	out, err := exec.Command(bin, "-test.list", ".").Output()
	if err != nil {
		return nil, nil, fmt.Errorf("listing tests: %w", err)
	}
	var names []string
	for _, line := range strings.Fields(string(out)) {
		if strings.HasPrefix(line, "Test") {
			names = append(names, line)
		}
	}
	cover := map[int][]string{}
	durations := map[string]time.Duration{}
	var mu sync.Mutex
	var failed []string
	var wg sync.WaitGroup
	for _, name := range names {
		wg.Go(func() {
			pool.do(func() {
				trace := filepath.Join(tmp, s.Slug, "trace-"+name) // test names repeat across stages
				started := time.Now()
				cmd := exec.Command(bin, "-test.run", "^"+name+"$", "-test.count=1", "-test.timeout=2m")
				cmd.Env = append(os.Environ(), "KIT_MUTANT_TRACE="+trace)
				cmd.Dir = s.TestDir() // tests read tasks.md beside them
				output, err := cmd.CombinedOutput()
				took := time.Since(started)
				ids, _ := readTrace(trace)
				mu.Lock()
				durations[name] = took
				for _, id := range slices.Compact(slices.Sorted(slices.Values(ids))) { // a crash test's child writes to its trace too
					cover[id] = append(cover[id], name)
				}
				if err != nil {
					failed = append(failed, name+":\n"+indent(string(output)))
				}
				mu.Unlock()
			})
		})
	}
	wg.Wait()
	if len(failed) > 0 {
		sort.Strings(failed)
		return nil, nil, fmt.Errorf("tests fail with no mutant switched on:\n%s", strings.Join(failed, "\n"))
	}
	return cover, durations, nil
}

func readTrace(path string) ([]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ids []int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if id, err := strconv.Atoi(sc.Text()); err == nil {
			ids = append(ids, id)
		}
	}
	return ids, sc.Err()
}

// fastestFirst orders tests by their traced time, so a kill comes early.
func fastestFirst(tests []string, durations map[string]time.Duration) []string {
	out := append([]string(nil), tests...)
	sort.Slice(out, func(i, j int) bool {
		if durations[out[i]] != durations[out[j]] {
			return durations[out[i]] < durations[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}

// lastKiller is the test that killed a mutant in the stage's last passing
// full run, from its ledger verdict ("killed by TestX", or "killed: the tests
// hang (in TestX)"), or "" when the verdict names none.
func lastKiller(verdict string) string {
	killer, ok := strings.CutPrefix(verdict, "killed by ")
	if !ok {
		killer, ok = strings.CutPrefix(verdict, hangVerdict+" (in ")
		killer = strings.TrimSuffix(killer, ")")
	}
	if !ok {
		return ""
	}
	killer, _, _ = strings.Cut(killer, "/") // -run matches a subtest by its parent
	return killer
}

// hangVerdict is a kill by the timeout: the mutant made a test wait forever.
const hangVerdict = "killed: the tests hang"

var (
	failLine = regexp.MustCompile(`(?m)^\s*--- FAIL: (\S+)`)
	// hungTest is the test go test names when its -test.timeout ends the binary.
	hungTest = regexp.MustCompile(`(?m)^panic: test timed out after .*\n\s*running tests:\n\s+(\S+) \(`)
)

// runWithMutant runs the named tests of the mutant binary with mutant id
// switched on, stopping at the first failure, and returns their output.
func runWithMutant(ctx context.Context, s stage, bin string, id int, tests []string, timeout time.Duration) ([]byte, error) {
	cmd := exec.CommandContext(ctx, bin, "-test.run", "^("+strings.Join(tests, "|")+")$", "-test.failfast", "-test.count=1",
		"-test.timeout="+timeout.String())
	cmd.Env = append(os.Environ(), "KIT_MUTANT="+strconv.Itoa(id))
	cmd.Dir = s.TestDir() // tests read tasks.md beside them
	return cmd.CombinedOutput()
}

// killMutant runs the tests that reach m with m switched on. Any failure, a
// panic or a hang (stopped by the timeout) kills it. The test that killed m in
// the last full run (killer, or "") runs first and alone, with a time budget of
// its own: a change to a stage rarely changes which test kills a mutant, and a
// mutant that makes one test hang is then stopped after that test's budget,
// not after the budget of every test that reaches it. It is an order, not a
// shortcut: when killer passes, the other tests run as before.
func killMutant(s stage, bin string, m *mutantInfo, killer string, durations map[string]time.Duration) {
	if len(m.Tests) == 0 {
		m.Reason = "no test reaches this code"
		return
	}
	rest := m.Tests
	if i := slices.Index(m.Tests, killer); i >= 0 {
		if runMutant(s, bin, m, []string{killer}, durations) {
			return
		}
		rest = slices.Delete(slices.Clone(m.Tests), i, i+1)
	}
	if len(rest) > 0 && runMutant(s, bin, m, rest, durations) {
		return
	}
	m.Reason = fmt.Sprintf("%d test(s) reach it and pass", len(m.Tests))
}

// runMutant runs tests with m switched on, within twice their traced time
// and 5 s, and reports whether they killed it (m.Killed and m.Reason say how).
func runMutant(s stage, bin string, m *mutantInfo, tests []string, durations map[string]time.Duration) bool {
	var budget time.Duration
	for _, t := range tests {
		budget += durations[t]
	}
	budget = 2*budget + 5*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), budget+5*time.Second)
	defer cancel()
	out, err := runWithMutant(ctx, s, bin, m.ID, tests, budget)
	if err == nil {
		return false
	}
	m.Killed = true
	switch f, hung := failLine.FindSubmatch(out), hungTest.FindSubmatch(out); {
	case f != nil:
		m.Reason = "killed by " + string(f[1])
	case hung != nil:
		m.Reason = hangVerdict + " (in " + string(hung[1]) + ")"
	case ctx.Err() != nil || strings.Contains(string(out), "test timed out"):
		m.Reason = hangVerdict
	default:
		m.Reason = "killed: the test binary failed"
	}
	return true
}

// report prints the stage's line and its survivors, and returns its problems.
func (r mutationRun) report(verbose bool) []string {
	var problems []string
	s := r.stage
	killed, listed := r.killed(), 0
	generated := map[string]bool{}
	var survivors []mutantInfo
	for _, m := range r.mutants {
		generated[m.Key] = true
		if m.Killed {
			if _, ok := r.equivalent[m.Key]; ok && !r.fromLedger { // the full run that wrote the ledger said so already
				// Not a failure: a kill that depends on chance (a random pause drawn at
				// its edge) would make make test flaky. But the proof may be wrong: look.
				fmt.Printf("    note: %s lists %s, and this run killed it (%s): is the proof right?\n", equivalentFile, m.Key, m.Reason)
			}
			continue
		}
		if _, ok := r.equivalent[m.Key]; ok {
			listed++
			continue
		}
		survivors = append(survivors, m)
	}
	for key := range r.equivalent {
		if !generated[key] {
			problems = append(problems, fmt.Sprintf("stage %d: %s lists a mutant that is no longer made: remove it\n    %s", s.Number, equivalentFile, key))
		}
	}
	share := float64(killed) / float64(max(len(r.mutants), 1))
	how := "in " + r.took.Round(time.Second).String()
	if r.fromLedger {
		how = fmt.Sprintf("(ledger: inputs unchanged, %d kills re-checked in %s)", r.sampled, r.took.Round(time.Second))
	}
	fmt.Printf("stage %d %-25s mutants %d  killed %d (%.0f%%)  equivalent %d  survived %d  %s\n",
		s.Number, s.Slug, len(r.mutants), killed, 100*share, listed, len(survivors), how)
	for _, m := range survivors {
		fmt.Printf("    survived #%d  %s:%d  %s  %s  (%s)\n", m.ID, m.File, m.Line, m.Func, m.Change, m.Reason)
		problems = append(problems, fmt.Sprintf("stage %d: mutant survived: %s:%d %s: %s (%s)\n    key: %s",
			s.Number, m.File, m.Line, m.Func, m.Change, m.Reason, m.Key))
	}
	if verbose {
		slowest := append([]mutantInfo(nil), r.mutants...)
		sort.Slice(slowest, func(i, j int) bool { return slowest[i].Took > slowest[j].Took })
		for _, m := range slowest[:min(10, len(slowest))] {
			fmt.Printf("    slow %5.1fs  #%d %s:%d  %s  %s  (%s)\n", m.Took.Seconds(), m.ID, m.File, m.Line, m.Func, m.Change, m.Reason)
		}
		for _, m := range r.mutants {
			if m.Killed {
				fmt.Printf("    killed    %s:%d  %s  %s  (%s)\n", m.File, m.Line, m.Func, m.Change, m.Reason)
			}
		}
	}
	if share < mutationGoal {
		problems = append(problems, fmt.Sprintf("stage %d: the tests kill %.0f%% of the mutants, the goal is %.0f%%", s.Number, 100*share, 100*mutationGoal))
	}
	return problems
}

// loadEquivalents reads the stage's list: "key :: reason" per line, # comments.
func loadEquivalents(s stage) (map[string]string, error) {
	out := map[string]string{}
	data, err := os.ReadFile(filepath.Join(s.TestDir(), equivalentFile))
	if os.IsNotExist(err) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, reason, ok := strings.Cut(line, " :: ")
		if !ok || strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("%s:%d: want `key :: why no test can tell this mutant apart`", equivalentFile, n+1)
		}
		out[strings.TrimSpace(key)] = strings.TrimSpace(reason)
	}
	return out, nil
}
