package spec

import (
	"fmt"
	"strings"

	"github.com/go-es-workshop/kit/internal/exercise"
	"github.com/stretchr/testify/assert"
)

// ProjectionScenario is a Given/When/Then specification of a projection (stage 4
// on): given these events of the log, when the projection applies them in order,
// then its read model answers exactly these rows. E is the stage's envelope (an
// event with its stream, version, position and time), R a row of the read model.
type ProjectionScenario[E, R any] struct {
	c        *Check
	given    []E
	describe func(E) string
	when     string
	run      func(log []E) ([]R, error)
}

// GivenLog starts a projection scenario from events of the log; describe prints
// one of them for a failure message ("v2 MoneyDeposited{Amount:5000}").
func GivenLog[E, R any](c *Check, describe func(E) string, log ...E) *ProjectionScenario[E, R] {
	return &ProjectionScenario[E, R]{c: c, given: log, describe: describe}
}

// When names what is asked of the read model, and how: run applies the log to a
// fresh read model and returns the rows the query answers.
func (s *ProjectionScenario[E, R]) When(query string, run func(log []E) ([]R, error)) *ProjectionScenario[E, R] {
	s.when, s.run = query, run
	return s
}

// ThenRows requires exactly these rows, in order.
func (s *ProjectionScenario[E, R]) ThenRows(want ...R) {
	s.c.t.Helper()
	got, err := s.run(s.given)
	if err != nil {
		s.fail(describeEvents(want), "error: "+err.Error(), err)
	}
	if !assert.ObjectsAreEqual(normalize(want), normalize(got)) {
		s.fail(describeEvents(want), describeEvents(got)+"\n\nDiff (- expected, + got):\n"+diffLines(want, got), nil)
	}
}

// ThenFails requires applying the log to fail with an error matching target (by
// errors.Is, or errors.As when target is a pointer to an error type).
func (s *ProjectionScenario[E, R]) ThenFails(target any) {
	s.c.t.Helper()
	got, err := s.run(s.given)
	want := "an error " + describeTarget(target)
	switch {
	case err == nil:
		s.fail(want, "no error, and these rows:\n"+describeEvents(got), nil)
	case !matches(err, target):
		s.fail(want, "error: "+err.Error(), err)
	}
}

func (s *ProjectionScenario[E, R]) fail(expected, got string, err error) {
	s.c.t.Helper()
	if todo, ok := exercise.IsTodo(err); ok {
		s.c.doing = "Given/When/Then: " + s.when
		s.c.t.Fatal(s.c.notDone(todo))
	}
	lines := make([]string, len(s.given))
	for i, e := range s.given {
		lines[i] = s.describe(e)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s\n", s.c.title())
	fmt.Fprintf(&b, "  Given:    %s\n", indentRest(strings.Join(lines, "\n"), 12))
	fmt.Fprintf(&b, "  When:     the projection applies them in order, then %s\n", s.when)
	fmt.Fprintf(&b, "  Expected: %s\n", indentRest(expected, 12))
	fmt.Fprintf(&b, "  Got:      %s", indentRest(got, 12))
	b.WriteString(s.c.pointers())
	s.c.t.Fatal(b.String())
}
