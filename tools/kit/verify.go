package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// minVariants is how many known-wrong variants each stage must reject at least.
func minVariants(stageNum int) int {
	if stageNum == 1 {
		return 2
	}
	return 3
}

// runVerify is the heart of `make test`: for each stage it proves that every task
// test fails on the starter and passes on the solution, that every guard test
// passes on both, that every task has a test, and that the tests reject each
// known-wrong variant.
func runVerify(args []string) error {
	list, err := selectStages(args)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "kit-verify-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	started := time.Now()
	race := cgoWorks()
	// The stages are independent: they verify side by side (their tests wait on
	// timers and disk as much as on the CPU), and report in stage order.
	type outcome struct {
		line     string
		problems []string
		err      error
	}
	outcomes := make([]outcome, len(list))
	turns := make(chan struct{}, verifyWorkers())
	var wg sync.WaitGroup
	for i, s := range list {
		wg.Go(func() {
			turns <- struct{}{}
			defer func() { <-turns }()
			var o outcome
			o.line, o.problems, o.err = verifyStage(s, tmp, race)
			outcomes[i] = o
		})
	}
	wg.Wait()
	var problems []string
	for _, o := range outcomes {
		if o.err != nil {
			return o.err
		}
		if o.line != "" {
			fmt.Print(o.line)
		}
		problems = append(problems, o.problems...)
	}
	fmt.Printf("verify: %d passed, %d failed in %s (%d stages at a time)\n", int(checksRun.Load())-len(problems), len(problems),
		time.Since(started).Round(time.Second), verifyWorkers())
	if len(problems) > 0 {
		return fmt.Errorf("%d problem(s):\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	return nil
}

// checksRun counts the verifier's checks: each test on starter and solution,
// each known-wrong variant. The closing "N passed, N failed" line reports them.
var checksRun atomic.Int64

// verifyWorkers is how many stages verify at once (KIT_VERIFY_WORKERS overrides).
func verifyWorkers() int {
	if n, err := strconv.Atoi(os.Getenv("KIT_VERIFY_WORKERS")); err == nil && n > 0 {
		return n
	}
	return runtime.NumCPU()
}

func verifyStage(s stage, tmp string, race bool) (string, []string, error) {
	started := time.Now()
	var problems []string
	fail := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf("stage %d: ", s.Number)+fmt.Sprintf(format, args...))
	}
	tasks, err := loadTasks(s)
	if err != nil {
		return "", nil, err
	}
	g, err := generate(s)
	if err != nil {
		return "", nil, err
	}
	checkTasksCut(tasks, g.Cut, fail)

	starter, err := goTest(s.TestPkg(), goTestOptions{})
	if err != nil {
		return "", nil, err
	}
	if starter.BuildFail != "" {
		fail("the starter's tests do not build:\n%s", starter.BuildFail)
		return "", problems, nil
	}
	if starter.Panicked {
		fail("a test panicked on the starter: a stub must return an error, never panic")
	}
	overlay := filepath.Join(tmp, s.Slug+"-solution.json")
	if err := writeOverlay(s, overlay, nil); err != nil {
		return "", nil, err
	}
	solution, err := goTest(s.TestPkg(), goTestOptions{Overlay: overlay, Race: race})
	if err != nil {
		return "", nil, err
	}
	if solution.BuildFail != "" {
		fail("the tests do not build against the solution:\n%s", solution.BuildFail)
		return "", problems, nil
	}
	tested := checkTestOutcomes(tasks, starter, solution, race, fail)
	checksRun.Add(int64(2 * len(solution.Tests)))
	for _, t := range tasks {
		if tested[t.ID] == 0 {
			fail("task %s has no task test (name one Test%s_...)", t.ID, strings.ReplaceAll(t.ID, ".", "_"))
		}
	}
	if race {
		pure, err := goTest(s.TestPkg(), goTestOptions{Overlay: overlay, Env: []string{"CGO_ENABLED=0"}})
		if err != nil {
			return "", nil, err
		}
		for _, name := range solution.sortedNames() {
			if r := pure.Tests[name]; r == nil || !r.Passed {
				fail("%s fails on the solution with CGO_ENABLED=0 (pure-Go SQLite)%s", name, pure.BuildFail)
			}
		}
	}
	if err := checkTasksInOrder(s, tasks, tmp, fail); err != nil {
		return "", nil, err
	}
	stretch, err := checkStretchStubs(s, tasks, tmp, solution, fail)
	if err != nil {
		return "", nil, err
	}
	nVariants, err := checkVariants(s, tmp, solution, fail)
	if err != nil {
		return "", nil, err
	}
	driver := "cgo and pure-Go drivers"
	if !race {
		driver = "pure-Go driver (no cgo, no -race)"
	}
	optional := ""
	if stretch > 0 {
		optional = fmt.Sprintf(" (%d stretch: the stage works without it)", stretch)
	}
	line := fmt.Sprintf("stage %d %-25s tasks %d%s  tests %d (task %d, guard %d)  known-wrong rejected %d/%d  solution checked with %s  in %s\n",
		s.Number, s.Slug, len(tasks), optional, len(solution.Tests), sum(tested), len(solution.Tests)-sum(tested), nVariants, nVariantsTotal(s), driver,
		time.Since(started).Round(time.Second))
	return line, problems, nil
}

// checkStretchStubs proves that a stage works without its stretch tasks: with only
// their regions cut from the solution (a learner who did every other task), every
// test passes but the stretch tasks' own, which fail. It returns how many stretch
// tasks the stage has.
func checkStretchStubs(s stage, tasks []task, tmp string, solution testRun, fail func(string, ...any)) (int, error) {
	optional := map[string]bool{}
	var ids []string
	for _, t := range tasks {
		if t.Optional {
			optional[t.ID] = true
			ids = append(ids, t.ID)
		}
	}
	if len(optional) == 0 {
		return 0, nil
	}
	run, err := testWithCut(s, tmp, "without-stretch", func(id string) bool { return optional[id] })
	if err != nil {
		return 0, err
	}
	if run.BuildFail != "" {
		fail("the stage does not build with only its stretch tasks (%s) left undone:\n%s", strings.Join(ids, ", "), indent(run.BuildFail))
		return len(optional), nil
	}
	for _, name := range solution.sortedNames() {
		checksRun.Add(1)
		r, id := run.Tests[name], taskOfTest(name)
		switch {
		case optional[id] && r != nil && r.Passed:
			fail("stretch task test %s passes with task %s left undone", name, id)
		case !optional[id] && (r == nil || !r.Passed):
			output := ""
			if r != nil {
				output = "\n" + indent(r.Output)
			}
			fail("%s fails with only the stretch tasks (%s) left undone: a stretch task's stub must leave the stage working%s",
				name, strings.Join(ids, ", "), output)
		}
	}
	return len(optional), nil
}

// testWithCut runs the stage's tests against its solution with the regions of the
// tasks cut selects replaced by their stubs: a learner who did every other task.
func testWithCut(s stage, tmp, label string, cut func(task string) bool) (testRun, error) {
	files, err := readTree(s.SolutionDir())
	if err != nil {
		return testRun{}, err
	}
	dir := filepath.Join(tmp, s.Slug+"-"+label)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return testRun{}, err
	}
	replace := map[string]string{}
	for rel, src := range files {
		if !strings.HasSuffix(rel, ".go") || strings.Contains(rel, "/") {
			continue // the tests import the stage's root package only
		}
		res, err := cutTasks(filepath.Join(s.SolutionDir(), rel), src, cut)
		if err != nil {
			return testRun{}, err
		}
		if len(res.Tasks) == 0 {
			continue
		}
		path := filepath.Join(dir, rel)
		if err := os.WriteFile(path, res.Text, 0o644); err != nil {
			return testRun{}, err
		}
		replace[rel] = path
	}
	overlay := filepath.Join(tmp, s.Slug+"-"+label+".json")
	if err := writeOverlay(s, overlay, replace); err != nil {
		return testRun{}, err
	}
	return goTest(s.TestPkg(), goTestOptions{Overlay: overlay})
}

// checkTasksInOrder proves that a learner who has done the tasks up to N.k sees
// every test of those tasks pass: a test that also needs a later task would keep
// telling them to go back to N.k. For each task but the last, the later tasks are
// cut and the tests of the tasks done so far must pass.
func checkTasksInOrder(s stage, tasks []task, tmp string, fail func(string, ...any)) error {
	var required []task
	for _, t := range tasks {
		if !t.Optional {
			required = append(required, t)
		}
	}
	for i, done := range required[:max(len(required)-1, 0)] {
		later := map[string]bool{}
		for _, t := range tasks {
			if compareTasks(t.ID, done.ID) > 0 {
				later[t.ID] = true
			}
		}
		run, err := testWithCut(s, tmp, "up-to-"+done.ID, func(id string) bool { return later[id] })
		if err != nil {
			return err
		}
		if run.BuildFail != "" {
			fail("the stage does not build with the tasks after %s left undone:\n%s", done.ID, indent(run.BuildFail))
			continue
		}
		for _, name := range run.sortedNames() {
			id := taskOfTest(name)
			if id == "" || later[id] || !slices.ContainsFunc(required[:i+1], func(t task) bool { return t.ID == id }) {
				continue
			}
			checksRun.Add(1)
			if r := run.Tests[name]; !r.Passed {
				fail("%s fails when tasks up to %s are done: it needs a later task, so a learner who finished %s would be sent back to it. Name it after the last task it needs.\n%s",
					name, done.ID, id, indent(firstLines(r.Output, 12)))
			}
		}
	}
	return nil
}

// firstLines keeps the first n lines of s.
func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// checkTasksCut compares the tasks in tasks.md with the exercise regions cut.
func checkTasksCut(tasks []task, cut []string, fail func(string, ...any)) {
	for _, t := range tasks {
		if !slices.Contains(cut, t.ID) {
			fail("task %s is in tasks.md but no //exercise:begin %s region is cut from the solution", t.ID, t.ID)
		}
	}
	for _, id := range slices.Compact(slices.Clone(cut)) {
		if !slices.ContainsFunc(tasks, func(t task) bool { return t.ID == id }) {
			fail("exercise %s is cut from the solution but has no entry (and hints) in tasks.md", id)
		}
	}
}

var guardName = regexp.MustCompile(`^(Test|Fuzz)Guard_`) // a fuzz target runs its seeds as a guard

// checkTestOutcomes applies the task/guard rules and counts task tests per task.
func checkTestOutcomes(tasks []task, starter, solution testRun, race bool, fail func(string, ...any)) map[string]int {
	tested := map[string]int{}
	for _, name := range solution.sortedNames() {
		onSolution := solution.Tests[name]
		onStarter := starter.Tests[name]
		id := taskOfTest(name)
		switch {
		case id == "" && !guardName.MatchString(name):
			fail("%s: name a test Test<stage>_<task>_... (task test) or TestGuard_... (guard test)", name)
		case !onSolution.Passed:
			fail("%s fails on the solution (race detector: %v):\n%s", name, race, indent(onSolution.Output))
		case id == "" && (onStarter == nil || !onStarter.Passed):
			output := ""
			if onStarter != nil {
				output = ":\n" + indent(onStarter.Output)
			}
			fail("guard %s must pass on the starter too%s", name, output)
		case id != "" && !slices.ContainsFunc(tasks, func(t task) bool { return t.ID == id }):
			fail("%s tests task %s, which tasks.md does not have", name, id)
		case id != "" && onStarter != nil && onStarter.Passed:
			fail("task test %s passes on the starter: it cannot tell a solved task from an unsolved one", name)
		case id != "" && onStarter != nil && !(strings.Contains(onStarter.Output, "Task "+id) && strings.Contains(onStarter.Output, "make hint TASK=")):
			fail("task test %s fails on the starter without naming its task (Task %s) and a `make hint TASK=...`", name, id)
		}
		if id != "" {
			tested[id]++
		}
	}
	return tested
}

// checkVariants applies each known-wrong variant and requires its caught-by tests to fail.
func checkVariants(s stage, tmp string, solution testRun, fail func(string, ...any)) (int, error) {
	variants, err := loadVariants(s)
	if err != nil {
		return 0, err
	}
	if len(variants) < minVariants(s.Number) {
		fail("%d known-wrong variants in %s/known-wrong, want at least %d", len(variants), s.TestDir(), minVariants(s.Number))
	}
	rejected := 0
	for _, v := range variants {
		checksRun.Add(1)
		patched, err := v.apply(s, tmp)
		if err != nil {
			return 0, err
		}
		overlay := filepath.Join(tmp, s.Slug+"-"+v.Name+".json")
		if err := writeOverlay(s, overlay, patched); err != nil {
			return 0, err
		}
		run, err := goTest(s.TestPkg(), goTestOptions{Overlay: overlay, Run: "^(" + strings.Join(v.CaughtBy, "|") + ")$"})
		if err != nil {
			return 0, err
		}
		if run.BuildFail != "" {
			fail("known-wrong %s does not build:\n%s", v.Name, indent(run.BuildFail))
			continue
		}
		caught := true
		for _, name := range v.CaughtBy {
			r := run.Tests[name]
			switch {
			case solution.Tests[name] == nil:
				fail("known-wrong %s names %s, which is not a test of this stage", v.Name, name)
				caught = false
			case r == nil || r.Passed:
				fail("known-wrong %s passes %s: the test is too weak (%s)", v.Name, name, firstLine(v.Why))
				caught = false
			}
		}
		if caught {
			rejected++
		}
	}
	return rejected, nil
}

// nVariantsTotal counts a stage's known-wrong variants.
func nVariantsTotal(s stage) int {
	v, _ := loadVariants(s)
	return len(v)
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

func firstLine(s string) string { return strings.SplitN(s, "\n", 2)[0] }
