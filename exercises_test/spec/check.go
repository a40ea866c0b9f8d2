// Package spec is the test support every stage's exercises share: failure messages
// written for a learner, an HTTP client for the stage's API, and Given/When/Then
// scenarios for aggregates.
package spec

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-es-workshop/kit/internal/exercise"
	"github.com/go-es-workshop/kit/internal/tasks"
	"github.com/stretchr/testify/assert"
)

// Check is the voice of one test. Every failure it reports names the task, what was
// expected, what happened, the file to open and the hint command.
type Check struct {
	t      testing.TB
	task   tasks.Task
	stage  string // "01-crud"
	doing  string
	fresh  bool   // Doing was called since the last Bank.Command
	rule   string // the rule of the bank this check is about (CheckRules), if any
	keeper string // the file that keeps that rule in this stage
}

// For starts the checks of test t. A test named Test2_3_... checks task 2.3 (its
// details come from tasks.md beside the test); TestGuard_... checks behaviour the
// starter already has.
func For(t testing.TB, stageSlug string) *Check {
	t.Helper()
	c := &Check{t: t, stage: stageSlug}
	id, ok := tasks.OfTest(t.Name())
	if !ok {
		return c
	}
	list, err := tasks.Load("tasks.md")
	if err != nil {
		t.Fatalf("reading tasks.md beside the tests: %v", err)
	}
	task, ok := tasks.Find(list, id)
	if !ok {
		t.Fatalf("tasks.md has no task %s for %s", id, t.Name())
	}
	c.task = task
	return c
}

// Guard starts the checks of a guard test: behaviour the starter already has,
// kept by the file keeper. A failure names the rule and the file, so a learner
// whose change broke it knows where to look.
func Guard(t testing.TB, stageSlug, keeper, rule string) *Check {
	t.Helper()
	c := For(t, stageSlug)
	c.rule, c.keeper = rule, keeper
	return c
}

// Doing says what the test is doing now; failures quote it.
func (c *Check) Doing(format string, args ...any) {
	c.doing = fmt.Sprintf(format, args...)
	c.fresh = true
}

// Fail stops the test with expected-versus-got, in plain words.
func (c *Check) Fail(expected, got string) {
	c.t.Helper()
	c.t.Fatal(c.message(expected, got))
}

// That fails with expected/got unless ok.
func (c *Check) That(ok bool, expected, got string) {
	c.t.Helper()
	if !ok {
		c.Fail(expected, got)
	}
}

// Equal fails unless want and got are equal (as testify compares them).
func (c *Check) Equal(want, got any, what string) {
	c.t.Helper()
	if !assert.ObjectsAreEqual(want, got) {
		c.Fail(fmt.Sprintf("%s = %v", what, want), fmt.Sprintf("%s = %v", what, got))
	}
}

// NoError fails if err is not nil. An unfinished task's stub error says so plainly.
func (c *Check) NoError(err error, what string) {
	c.t.Helper()
	if err == nil {
		return
	}
	if todo, ok := exercise.IsTodo(err); ok {
		c.t.Fatal(c.notDone(todo))
	}
	c.Fail(what+" succeeds", "error: "+err.Error())
}

// ErrorIs fails unless err wraps target; an unfinished task's stub says so plainly.
func (c *Check) ErrorIs(err, target error, expected string) {
	c.t.Helper()
	if todo, ok := exercise.IsTodo(err); ok {
		c.t.Fatal(c.notDone(todo))
	}
	if !errors.Is(err, target) {
		c.Fail(expected, fmt.Sprintf("error: %v", err))
	}
}

func (c *Check) message(expected, got string) string {
	var b strings.Builder
	b.WriteString("\n" + c.title() + "\n")
	fmt.Fprintf(&b, "  Doing:    %s\n", indentRest(c.doingNow(), 12))
	fmt.Fprintf(&b, "  Expected: %s\n", indentRest(expected, 12))
	fmt.Fprintf(&b, "  Got:      %s", indentRest(got+stuckHint(got), 12))
	b.WriteString(c.pointers())
	return b.String()
}

// title names the task, or says that a guard broke, and the rule checked.
func (c *Check) title() string {
	switch {
	case c.rule != "" && c.task.ID != "":
		// A rule names the file that keeps it; the task is only where the test is counted.
		return fmt.Sprintf("Rule:     %s\n  (a test of Task %s · %s)", c.rule, c.task.ID, c.task.Title)
	case c.rule != "":
		return "This worked in the starter; a change broke it.\n  Rule:     " + c.rule
	case c.task.ID != "":
		return fmt.Sprintf("Task %s · %s", c.task.ID, c.task.Title)
	}
	return "This worked in the starter; a change broke it."
}

// KeptBy names the file whose code a task test checks, when it is not the task's
// own file (the repository, the HTTP layer): a failure then points there first.
func (c *Check) KeptBy(file string) { c.keeper = file }

// pointers tells a learner where to look next: the file that keeps the rule
// checked, else the task's file.
func (c *Check) pointers() string {
	var b strings.Builder
	if c.keeper != "" {
		fmt.Fprintf(&b, "\n  Kept by:  stages/%s/%s", c.stage, c.keeper)
	}
	if c.task.ID != "" {
		fmt.Fprintf(&b, "\n  Open:     stages/%s/%s (look for TODO(%s))\n  Hint:     make hint TASK=%s", c.stage, c.task.File, c.task.ID, c.task.ID)
	}
	return b.String()
}

// notDone explains a stub's TODO error: this test's own task is not done yet, or
// it needs an earlier task that is not.
func (c *Check) notDone(todo *exercise.TodoError) string {
	var b strings.Builder
	if c.task.ID == "" || c.task.ID == todo.Task {
		fmt.Fprintf(&b, "\nTask %s is not done yet: its stub still returns the TODO error.\n", todo.Task)
		if c.task.Optional {
			fmt.Fprintf(&b, "  (%s is a stretch task: optional, the stage is done without it.)\n", todo.Task)
		}
	} else {
		fmt.Fprintf(&b, "\n%s\n  Needs task %s first: its stub still returns the TODO error.\n", c.title(), todo.Task)
	}
	fmt.Fprintf(&b, "  Doing:    %s\n", indentRest(c.doingNow(), 12))
	fmt.Fprintf(&b, "  Open:     %s (look for TODO(%s))\n  Hint:     make hint TASK=%s", todo.File, todo.Task, todo.Task)
	return b.String()
}

// doingNow is what the test said it is doing, or, before its first step, its setup.
func (c *Check) doingNow() string {
	if c.doing == "" {
		return "setting up " + c.t.Name()
	}
	return c.doing
}

// indentRest indents every line after the first so multi-line values line up.
func indentRest(s string, n int) string {
	return strings.ReplaceAll(s, "\n", "\n"+strings.Repeat(" ", n))
}
