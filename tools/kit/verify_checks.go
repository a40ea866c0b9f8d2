package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The checks made on a stage's test runs, once every run is done.

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
