package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// crashDump is what go test prints when a test's goroutine panics in stage code.
const crashDump = `=== RUN   Test8_1_ALoadWhoseEventsCannotBeReadFails
--- FAIL: Test8_1_ALoadWhoseEventsCannotBeReadFails (0.01s)
panic: runtime error: index out of range [0] with length 0 [recovered, repanicked]

goroutine 86921 [running]:
testing.tRunner.func1.2({0xcd5980, 0x1fb70f96e528})
	/usr/local/go/src/testing/testing.go:1974 +0x232
panic({0xcd5980?, 0x1fb70f96e528?})
	/usr/local/go/src/runtime/panic.go:860 +0x13a
github.com/go-es-workshop/kit/stages/08-production.(*AccountRepository).loadFromSnapshot(0x1fb70fa13ec8, {0xd9ca78, 0x1fb70fa70770}, {0x1fb70f925980, 0x2c})
	/home/ada/kit/stages/08-production/account_repository.go:66 +0x137
github.com/go-es-workshop/kit/stages/08-production.(*AccountRepository).Load(0x1fb70fa13ec8, {0xd9ca78, 0x1fb70fa70770}, {0xd8, 0xc5, ...})
	/home/ada/kit/stages/08-production/account_repository.go:37 +0xc8
github.com/go-es-workshop/kit/exercises_test/08-production_test.Test8_1_ALoadWhoseEventsCannotBeReadFails(0x1fb70fa14248)
	/home/ada/kit/exercises_test/08-production/snapshots_load_test.go:138 +0x71b
testing.tRunner(0x1fb70fa14248, 0xd8b9f8)
	/usr/local/go/src/testing/testing.go:2036 +0xea
created by testing.(*T).Run in goroutine 1
	/usr/local/go/src/testing/testing.go:2101 +0x4c5
`

func TestACrashNamesTheLearnersFramesAndThatTheRunStopped(t *testing.T) {
	got := summarizePanics(crashDump, "stages/08-production")
	require.Equal(t, `=== RUN   Test8_1_ALoadWhoseEventsCannotBeReadFails
--- FAIL: Test8_1_ALoadWhoseEventsCannotBeReadFails (0.01s)
Your code panicked: runtime error: index out of range [0] with length 0
  (*AccountRepository).loadFromSnapshot at stages/08-production/account_repository.go:66
  (*AccountRepository).Load at stages/08-production/account_repository.go:37
A panic ends the whole test run: the tests after this one did not run.
Fix it first (a panic is never an answer: return an error).
`, got)
}

func TestALoggedStackShowsOnlyTheLearnersFrames(t *testing.T) {
	stack := "goroutine 83800 [running]:\n" +
		"github.com/go-es-workshop/kit/internal/web.New.RecoverWithConfig.func7.1.1()\n" +
		"\t/root/go/pkg/mod/github.com/labstack/echo/v4@v4.16.0/middleware/recover.go:99 +0x155\n" +
		"github.com/go-es-workshop/kit/stages/08-production.(*AccountRepository).loadFromSnapshot(0x1, {0x2, 0x3}, {0x4, 0x2c})\n" +
		"\t/home/ada/kit/stages/08-production/account_repository.go:66 +0x137\n" +
		"github.com/go-es-workshop/kit/stages/08-production.NewApplication.func1({0xd9ca78?, 0x1?}, {0x3c, ...})\n" +
		"\t/home/ada/kit/stages/08-production/application.go:123 +0x77\n" +
		"github.com/go-es-workshop/kit/stages/08-production.(*api).getAccount(0x1, {0xdac3e8, 0x2})\n" +
		"\t/home/ada/kit/stages/08-production/http_api.go:115 +0x102\n" +
		"github.com/go-es-workshop/kit/stages/08-production.(*api).never(0x1)\n" +
		"\t/home/ada/kit/stages/08-production/http_api.go:9 +0x1\n"
	line := `  server log: level=ERROR msg=panic path=/accounts/:id error="runtime error: index out of range [2] with length 2" stack=` + strconv.Quote(stack)
	got := summarizePanics("The server panicked.\n"+line+"\n--- FAIL: Test8_1_X (0.02s)\n", "stages/08-production")
	require.Equal(t, `The server panicked.
  server log: level=ERROR msg=panic path=/accounts/:id error="runtime error: index out of range [2] with length 2"
    in your code: (*AccountRepository).loadFromSnapshot at stages/08-production/account_repository.go:66
                  NewApplication.func1 at stages/08-production/application.go:123
                  (*api).getAccount at stages/08-production/http_api.go:115
--- FAIL: Test8_1_X (0.02s)
`, got)
}

func TestAPanicOutsideTheStagesCodeIsLeftAsItIs(t *testing.T) {
	other := strings.ReplaceAll(crashDump, "stages/08-production", "internal/web")
	require.Equal(t, other, summarizePanics(other, "stages/08-production"))
	logged := `server log: msg=panic stack="goroutine 1 [running]:\nmain.f()\n\t/x/main.go:3 +0x1\n" method=GET`
	require.Equal(t, logged, summarizePanics(logged, "stages/08-production"))
	timedOut := "panic: test timed out after 2m0s\n\ngoroutine 1 [running]:\n"
	require.Equal(t, timedOut, summarizePanics(timedOut, "stages/08-production"))
}

func TestTheTestWhoseCrashEndedTheRunIsNamed(t *testing.T) {
	run := testRun{Tests: map[string]*testResult{}}
	run.record(testEvent{Action: "output", Test: "Test8_1_A", Output: "panic: runtime error: boom [recovered]\n"})
	run.record(testEvent{Action: "output", Test: "Test8_1_B", Output: "panic: another\n"})
	require.Equal(t, "Test8_1_A", run.CrashedIn)
	require.True(t, run.Panicked)

	logged := testRun{Tests: map[string]*testResult{}}
	logged.record(testEvent{Action: "output", Test: "Test8_1_C", Output: `    server log: msg=panic error="panic: x"` + "\n"})
	require.Empty(t, logged.CrashedIn, "a logged panic, which the server recovered from, ends no run")
}
