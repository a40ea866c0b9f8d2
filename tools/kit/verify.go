package main

import (
	"fmt"
	"os"
	"path/filepath"
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

// firstLines keeps the first n lines of s.
func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
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
