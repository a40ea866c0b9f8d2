package spec

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/go-es-workshop/kit/internal/exercise"
	"github.com/pmezard/go-difflib/difflib"
	"github.com/stretchr/testify/assert"
)

// Scenario is a Given/When/Then specification of an aggregate: given the events
// of its past, when a command runs, then it records exactly these new events, or
// fails with an error and records nothing. E is the stage's event type.
type Scenario[E any] struct {
	c     *Check
	given []E
	when  string
	run   func(history []E) ([]E, error)
}

// Given starts a scenario from the aggregate's past events.
func Given[E any](c *Check, history ...E) *Scenario[E] {
	return &Scenario[E]{c: c, given: history}
}

// When names the command and how to run it: run gets the history and returns the
// events the command recorded and its error.
func (s *Scenario[E]) When(command string, run func(history []E) ([]E, error)) *Scenario[E] {
	s.when, s.run = command, run
	return s
}

// Then requires the command to succeed and record exactly want, in order.
func (s *Scenario[E]) Then(want ...E) {
	s.c.t.Helper()
	got, err := s.run(s.given)
	if err != nil {
		s.fail(describeEvents(want), "error: "+err.Error()+"\n"+describeEvents(got), err)
	}
	if !assert.ObjectsAreEqual(normalize(want), normalize(got)) {
		s.fail(describeEvents(want), describeEvents(got)+"\n\nDiff (- expected, + got):\n"+diffLines(want, got), nil)
	}
}

// ThenFails requires the command to fail with an error matching target (by
// errors.Is, or errors.As when target is a pointer to an error type), and to
// record no event.
func (s *Scenario[E]) ThenFails(target any) {
	s.c.t.Helper()
	got, err := s.run(s.given)
	want := "an error " + describeTarget(target) + ", and no new events"
	switch {
	case err == nil:
		s.fail(want, "no error\n"+describeEvents(got), nil)
	case !matches(err, target):
		s.fail(want, "error: "+err.Error(), err)
	case len(got) > 0:
		s.fail(want, "the right error, but these events were recorded anyway:\n"+describeEvents(got)+
			"\n(check the rules first, record the event last)", nil)
	}
}

func (s *Scenario[E]) fail(expected, got string, err error) {
	s.c.t.Helper()
	if todo, ok := exercise.IsTodo(err); ok {
		s.c.doing = "Given/When/Then: " + s.when
		s.c.t.Fatal(s.c.notDone(todo))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s\n", s.c.title())
	fmt.Fprintf(&b, "  Given:    %s\n", indentRest(describeEvents(s.given), 12))
	fmt.Fprintf(&b, "  When:     %s\n", s.when)
	fmt.Fprintf(&b, "  Expected: %s\n", indentRest(expected, 12))
	fmt.Fprintf(&b, "  Got:      %s", indentRest(got, 12))
	b.WriteString(s.c.pointers())
	s.c.t.Fatal(b.String())
}

func matches(err error, target any) bool {
	if t, ok := target.(error); ok {
		return errors.Is(err, t)
	}
	return errors.As(err, target)
}

func describeTarget(target any) string {
	if t, ok := target.(error); ok {
		return fmt.Sprintf("wrapping %q", t.Error())
	}
	return fmt.Sprintf("of type %s", strings.TrimPrefix(fmt.Sprintf("%T", target), "**"))
}

// normalize makes nil and empty event lists compare equal.
func normalize[E any](events []E) []E {
	if len(events) == 0 {
		return nil
	}
	return events
}

var packagePrefix = regexp.MustCompile(`^[a-z0-9_]+\.`)

// describeEvent prints an event as its type name and fields: MoneyWithdrawn{Amount:300}.
func describeEvent(e any) string {
	return packagePrefix.ReplaceAllString(fmt.Sprintf("%T%+v", e, e), "")
}

func describeEvents[E any](events []E) string {
	if len(events) == 0 {
		return "(no events)"
	}
	lines := make([]string, len(events))
	for i, e := range events {
		lines[i] = describeEvent(e)
	}
	return strings.Join(lines, "\n")
}

// diffLines shows how two event lists differ, one event a line.
func diffLines[E any](want, got []E) string {
	a := strings.Split(describeEvents(want), "\n")
	b := strings.Split(describeEvents(got), "\n")
	var out []string
	for _, op := range difflib.NewMatcher(a, b).GetOpCodes() {
		for _, line := range a[op.I1:op.I2] {
			if op.Tag == 'e' {
				out = append(out, "  "+line)
			} else {
				out = append(out, "- "+line)
			}
		}
		if op.Tag != 'e' {
			for _, line := range b[op.J1:op.J2] {
				out = append(out, "+ "+line)
			}
		}
	}
	return strings.Join(out, "\n")
}
