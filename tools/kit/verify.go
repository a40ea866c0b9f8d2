package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
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
// known-wrong variant. It plans every stage's test runs, runs them all from one
// queue (verify_queue.go), then checks each stage's results, in stage order.
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
	var plans []*stagePlan
	var queue []*queuedRun
	for _, s := range list {
		p, err := planStage(s, tmp, race)
		if err != nil {
			return err
		}
		plans = append(plans, p)
		queue = append(queue, p.runs...)
	}
	runQueue(queue, verifyWorkers())
	var problems []string
	checks := 0
	for _, p := range plans {
		if err := p.runError(); err != nil {
			return err
		}
		line, n := p.check()
		fmt.Print(line)
		checks += n
		problems = append(problems, p.problems...)
	}
	fmt.Printf("verify: %d passed, %d failed in %s (%d test runs at a time)\n", checks-len(problems), len(problems),
		time.Since(started).Round(time.Second), verifyWorkers())
	if len(problems) > 0 {
		return fmt.Errorf("%d problem(s):\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	return nil
}

// stagePlan is one stage's verification: the test runs it needs, planned before
// any runs, and the problems found in their results.
type stagePlan struct {
	s        stage
	race     bool
	tasks    []task
	problems []string
	checks   int // checks made: each test on starter and solution, each cut, each variant

	runs              []*queuedRun
	starter, solution *queuedRun
	pureGo            *queuedRun   // nil without cgo
	inOrder           []inOrderCut // one per required task but the last
	stretch           *queuedRun   // nil without stretch tasks
	stretchIDs        []string
	variants          []variant
	variantRuns       []*queuedRun // nil where the variant could not be applied
}

// inOrderCut is the solution with the tasks after done cut.
type inOrderCut struct {
	done  task
	later map[string]bool
	run   *queuedRun
}

func (p *stagePlan) fail(format string, args ...any) {
	p.problems = append(p.problems, fmt.Sprintf("stage %d: ", p.s.Number)+fmt.Sprintf(format, args...))
}

// queue adds a run of the stage's tests to the plan.
func (p *stagePlan) queue(kind runKind, opt goTestOptions) *queuedRun {
	q := &queuedRun{stage: p.s.Number, kind: kind, pkg: p.s.TestPkg(), opt: opt}
	p.runs = append(p.runs, q)
	return q
}

// planStage writes the overlays stage s is tested through and queues its runs.
func planStage(s stage, tmp string, race bool) (*stagePlan, error) {
	p := &stagePlan{s: s, race: race}
	var err error
	if p.tasks, err = loadTasks(s); err != nil {
		return nil, err
	}
	g, err := generate(s)
	if err != nil {
		return nil, err
	}
	checkTasksCut(p.tasks, g.Cut, p.fail)
	p.starter = p.queue(starterRun, goTestOptions{Env: []string{mustFailPatience}})
	overlay := filepath.Join(tmp, s.Slug+"-solution.json")
	if err := writeOverlay(s, overlay, nil); err != nil {
		return nil, err
	}
	p.solution = p.queue(solutionRun, goTestOptions{Overlay: overlay, Race: race})
	if race {
		p.pureGo = p.queue(pureGoRun, goTestOptions{Overlay: overlay, Env: []string{"CGO_ENABLED=0"}})
	}
	if err := p.planInOrder(tmp); err != nil {
		return nil, err
	}
	if err := p.planStretch(tmp); err != nil {
		return nil, err
	}
	return p, p.planVariants(tmp)
}

// planInOrder queues, for each required task but the last, the solution with the
// later tasks cut, running only the tests of the tasks done so far.
func (p *stagePlan) planInOrder(tmp string) error {
	var required []task
	for _, t := range p.tasks {
		if !t.Optional {
			required = append(required, t)
		}
	}
	for i, done := range required[:max(len(required)-1, 0)] {
		later := map[string]bool{}
		for _, t := range p.tasks {
			if compareTasks(t.ID, done.ID) > 0 {
				later[t.ID] = true
			}
		}
		var prefixes []string
		for _, t := range required[:i+1] {
			prefixes = append(prefixes, strings.ReplaceAll(t.ID, ".", "_"))
		}
		overlay, err := cutOverlay(p.s, tmp, "up-to-"+done.ID, func(id string) bool { return later[id] })
		if err != nil {
			return err
		}
		run := p.queue(inOrderRun, goTestOptions{Overlay: overlay, Run: "^Test(" + strings.Join(prefixes, "|") + ")_"})
		p.inOrder = append(p.inOrder, inOrderCut{done: done, later: later, run: run})
	}
	return nil
}

// planStretch queues the solution with only its stretch tasks cut (if it has any).
func (p *stagePlan) planStretch(tmp string) error {
	optional := map[string]bool{}
	for _, t := range p.tasks {
		if t.Optional {
			optional[t.ID] = true
			p.stretchIDs = append(p.stretchIDs, t.ID)
		}
	}
	if len(optional) == 0 {
		return nil
	}
	overlay, err := cutOverlay(p.s, tmp, "without-stretch", func(id string) bool { return optional[id] })
	if err != nil {
		return err
	}
	p.stretch = p.queue(stretchRun, goTestOptions{Overlay: overlay})
	return nil
}

// planVariants queues each known-wrong variant, running only its caught-by tests.
func (p *stagePlan) planVariants(tmp string) error {
	var err error
	if p.variants, err = loadVariants(p.s); err != nil {
		return err
	}
	for _, v := range p.variants {
		patched, err := v.apply(p.s, tmp)
		if err != nil {
			return err
		}
		overlay := filepath.Join(tmp, p.s.Slug+"-"+v.Name+".json")
		if err := writeOverlay(p.s, overlay, patched); err != nil {
			return err
		}
		p.variantRuns = append(p.variantRuns, p.queue(variantRun, goTestOptions{Overlay: overlay,
			Run: "^(" + strings.Join(v.CaughtBy, "|") + ")$", Env: []string{mustFailPatience}}))
	}
	return nil
}

// runError is the first run that could not be started at all (not a failing test).
func (p *stagePlan) runError() error {
	for _, q := range p.runs {
		if q.err != nil {
			return q.err
		}
	}
	return nil
}

// check applies the rules to the stage's results and returns its summary line and
// how many checks it made.
func (p *stagePlan) check() (string, int) {
	starter, solution := p.starter.run, p.solution.run
	if starter.BuildFail != "" {
		p.fail("the starter's tests do not build:\n%s", starter.BuildFail)
		return "", 0
	}
	if starter.Panicked {
		p.fail("a test panicked on the starter: a stub must return an error, never panic")
	}
	if solution.BuildFail != "" {
		p.fail("the tests do not build against the solution:\n%s", solution.BuildFail)
		return "", 0
	}
	tested := checkTestOutcomes(p.tasks, starter, solution, p.race, p.fail)
	p.checks += 2 * len(solution.Tests)
	for _, t := range p.tasks {
		if tested[t.ID] == 0 {
			p.fail("task %s has no task test (name one Test%s_...)", t.ID, strings.ReplaceAll(t.ID, ".", "_"))
		}
	}
	if p.pureGo != nil {
		for _, name := range solution.sortedNames() {
			if r := p.pureGo.run.Tests[name]; r == nil || !r.Passed {
				p.fail("%s fails on the solution with CGO_ENABLED=0 (pure-Go SQLite)%s", name, p.pureGo.run.BuildFail)
			}
		}
	}
	p.checkInOrder()
	p.checkStretch()
	rejected := p.checkVariants()
	driver := "cgo and pure-Go drivers"
	if !p.race {
		driver = "pure-Go driver (no cgo, no -race)"
	}
	optional := ""
	if len(p.stretchIDs) > 0 {
		optional = fmt.Sprintf(" (%d stretch: the stage works without it)", len(p.stretchIDs))
	}
	var took time.Duration
	for _, q := range p.runs {
		took += q.took
	}
	line := fmt.Sprintf("stage %d %-25s tasks %d%s  tests %d (task %d, guard %d)  known-wrong rejected %d/%d  solution checked with %s  (test runs %s)\n",
		p.s.Number, p.s.Slug, len(p.tasks), optional, len(solution.Tests), sum(tested), len(solution.Tests)-sum(tested), rejected, len(p.variants), driver,
		took.Round(time.Second))
	return line, p.checks
}

// checkStretch proves that a stage works without its stretch tasks: with only
// their regions cut from the solution (a learner who did every other task), every
// test passes but the stretch tasks' own, which fail.
func (p *stagePlan) checkStretch() {
	if p.stretch == nil {
		return
	}
	run, ids := p.stretch.run, strings.Join(p.stretchIDs, ", ")
	if run.BuildFail != "" {
		p.fail("the stage does not build with only its stretch tasks (%s) left undone:\n%s", ids, indent(run.BuildFail))
		return
	}
	for _, name := range p.solution.run.sortedNames() {
		p.checks++
		r, id := run.Tests[name], taskOfTest(name)
		stretch := slices.Contains(p.stretchIDs, id)
		switch {
		case stretch && r != nil && r.Passed:
			p.fail("stretch task test %s passes with task %s left undone", name, id)
		case !stretch && (r == nil || !r.Passed):
			output := ""
			if r != nil {
				output = "\n" + indent(r.Output)
			}
			p.fail("%s fails with only the stretch tasks (%s) left undone: a stretch task's stub must leave the stage working%s",
				name, ids, output)
		}
	}
}

// cutOverlay writes an overlay of the stage's solution with the regions of the
// tasks cut selects replaced by their stubs: a learner who did every other task.
func cutOverlay(s stage, tmp, label string, cut func(task string) bool) (string, error) {
	files, err := readTree(s.SolutionDir())
	if err != nil {
		return "", err
	}
	dir := filepath.Join(tmp, s.Slug+"-"+label)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	replace := map[string]string{}
	for rel, src := range files {
		if !strings.HasSuffix(rel, ".go") || strings.Contains(rel, "/") {
			continue // the tests import the stage's root package only
		}
		res, err := cutTasks(filepath.Join(s.SolutionDir(), rel), src, cut)
		if err != nil {
			return "", err
		}
		if len(res.Tasks) == 0 {
			continue
		}
		path := filepath.Join(dir, rel)
		if err := os.WriteFile(path, res.Text, 0o644); err != nil {
			return "", err
		}
		replace[rel] = path
	}
	overlay := filepath.Join(tmp, s.Slug+"-"+label+".json")
	return overlay, writeOverlay(s, overlay, replace)
}

// checkInOrder proves that a learner who has done the tasks up to N.k sees every
// test of those tasks pass: a test that also needs a later task would keep telling
// them to go back to N.k.
func (p *stagePlan) checkInOrder() {
	for _, cut := range p.inOrder {
		run := cut.run.run
		if run.BuildFail != "" {
			p.fail("the stage does not build with the tasks after %s left undone:\n%s", cut.done.ID, indent(run.BuildFail))
			continue
		}
		for _, name := range run.sortedNames() {
			id := taskOfTest(name)
			if id == "" || cut.later[id] {
				continue
			}
			p.checks++
			if r := run.Tests[name]; !r.Passed {
				p.fail("%s fails when tasks up to %s are done: it needs a later task, so a learner who finished %s would be sent back to it. Name it after the last task it needs.\n%s",
					name, cut.done.ID, id, indent(firstLines(r.Output, 12)))
			}
		}
	}
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

// checkVariants requires each known-wrong variant's caught-by tests to fail, and
// returns how many variants were rejected.
func (p *stagePlan) checkVariants() int {
	if len(p.variants) < minVariants(p.s.Number) {
		p.fail("%d known-wrong variants in %s/known-wrong, want at least %d", len(p.variants), p.s.TestDir(), minVariants(p.s.Number))
	}
	rejected := 0
	for i, v := range p.variants {
		p.checks++
		run := p.variantRuns[i].run
		if run.BuildFail != "" {
			p.fail("known-wrong %s does not build:\n%s", v.Name, indent(run.BuildFail))
			continue
		}
		caught := true
		for _, name := range v.CaughtBy {
			r := run.Tests[name]
			switch {
			case p.solution.run.Tests[name] == nil:
				p.fail("known-wrong %s names %s, which is not a test of this stage", v.Name, name)
				caught = false
			case r == nil || r.Passed:
				p.fail("known-wrong %s passes %s: the test is too weak (%s)", v.Name, name, firstLine(v.Why))
				caught = false
			}
		}
		if caught {
			rejected++
		}
	}
	return rejected
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
