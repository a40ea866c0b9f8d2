package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var (
	watchCrud = stage{Number: 1, Slug: "01-crud"}
	watchAggr = stage{Number: 3, Slug: "03-aggregates"}
)

// watchFolder makes a kit-like folder with two stages and works in it.
func watchFolder(t *testing.T) {
	t.Helper()
	t.Chdir(t.TempDir())
	for _, s := range []stage{watchCrud, watchAggr} {
		require.NoError(t, os.MkdirAll(filepath.Join(s.StarterDir(), "cmd", "server"), 0o755))
		save(t, filepath.Join(s.StarterDir(), "bank.go"), "package bank\n", time.Now().Add(-time.Hour))
	}
}

// save writes a file as an editor does and sets its time (the tests' clock, not the
// file system's, decides the order of saves).
func save(t *testing.T, path, content string, mod time.Time) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	require.NoError(t, os.Chtimes(path, mod, mod))
}

func TestWatchSkipsEditorTempFiles(t *testing.T) {
	for name, temp := range map[string]bool{
		"bank.go": false, "README.md": false, "tasks_test.go": false,
		"bank.go~": true, "#bank.go#": true, "bank.go.swp": true, "bank.go.swo": true, "bank.go.swx": true, "4913": true,
	} {
		require.Equal(t, temp, editorTemp(name), name)
	}

	watchFolder(t)
	dir, now := watchAggr.StarterDir(), time.Now()
	for _, name := range []string{".bank.go.swp", ".#bank.go", "bank.go~", "#bank.go#", "4913"} {
		save(t, filepath.Join(dir, name), "scratch", now)
	}
	require.NoError(t, os.MkdirAll(filepath.Join(dir, ".idea"), 0o755))
	save(t, filepath.Join(dir, ".idea", "workspace.xml"), "<x/>", now)
	save(t, filepath.Join(dir, "cmd", "server", "main.go"), "package main\n", now)

	var got []string
	for path := range snapshot("stages") {
		got = append(got, filepath.ToSlash(path))
	}
	require.ElementsMatch(t, []string{"stages/01-crud/bank.go", "stages/03-aggregates/bank.go", "stages/03-aggregates/cmd/server/main.go"}, got)
}

func TestWatchRunsTheStageSavedLastOnceABurstOfSavesIsOver(t *testing.T) {
	watchFolder(t)
	w := newWatcher(nil, []stage{watchCrud, watchAggr})
	t0 := time.Now()
	tick := func(n int) time.Time { return t0.Add(time.Duration(n) * watchEvery) }
	require.False(t, w.poll(tick(0)), "nothing saved")
	require.Nil(t, w.stage, "no stage before a save, when none was given")

	save(t, filepath.Join(watchAggr.StarterDir(), "bank.go"), "package bank // 1\n", t0)
	require.False(t, w.poll(tick(1)), "a save: wait, another may follow")
	require.Equal(t, watchAggr, *w.stage)
	save(t, filepath.Join(watchAggr.StarterDir(), "account.go"), "package bank\n", t0.Add(time.Millisecond))
	require.False(t, w.poll(tick(2)), "still saving (a formatter, save all)")
	require.True(t, w.poll(tick(3)), "a poll without a save ends the burst: one run for both files")
	require.False(t, w.poll(tick(4)), "and only one")
	require.False(t, w.poll(tick(5)))

	// Saves in two stages between two polls: the file saved last picks the stage.
	save(t, filepath.Join(watchCrud.StarterDir(), "bank.go"), "package bank // later\n", t0.Add(2*time.Second))
	save(t, filepath.Join(watchAggr.StarterDir(), "bank.go"), "package bank // 2\n", t0.Add(time.Second))
	require.False(t, w.poll(tick(6)))
	require.Equal(t, watchCrud, *w.stage, "stage 1's file is the newer")
	require.Equal(t, filepath.Join(watchCrud.StarterDir(), "bank.go"), w.saved)
	require.True(t, w.poll(tick(7)))

	// A save changes the size even when the clock did not move; a deletion is a change too.
	save(t, filepath.Join(watchAggr.StarterDir(), "bank.go"), "package bank // 22\n", t0.Add(time.Second))
	require.False(t, w.poll(tick(8)))
	require.Equal(t, watchAggr, *w.stage)
	require.True(t, w.poll(tick(9)))
	require.NoError(t, os.Remove(filepath.Join(watchAggr.StarterDir(), "account.go")))
	require.False(t, w.poll(tick(10)))
	require.True(t, w.poll(tick(11)))

	// Only editor scratch files: nothing to run.
	save(t, filepath.Join(watchCrud.StarterDir(), ".bank.go.swp"), "x", t0.Add(3*time.Second))
	require.False(t, w.poll(tick(12)))
	require.False(t, w.poll(tick(13)))
}

func TestWatchWithAStageGivenLooksOnlyAtThatStage(t *testing.T) {
	watchFolder(t)
	w := newWatcher(&watchCrud, []stage{watchCrud, watchAggr})
	require.Equal(t, watchCrud, *w.stage, "the stage given runs at once, before any save")
	t0 := time.Now()
	save(t, filepath.Join(watchAggr.StarterDir(), "bank.go"), "package bank // other stage\n", t0)
	require.False(t, w.poll(t0))
	require.False(t, w.poll(t0.Add(time.Second)), "a save in another stage is not this stage's")
	save(t, filepath.Join(watchCrud.StarterDir(), "bank.go"), "package bank // this one\n", t0)
	require.False(t, w.poll(t0.Add(2*time.Second)))
	require.True(t, w.poll(t0.Add(3*time.Second)))
}

func TestWatchRunsOneTestRunAtATimeAndEnterRunsAgain(t *testing.T) {
	watchFolder(t)
	var running, most, runs atomic.Int32
	release := make(chan struct{})
	var once sync.Once
	w := newWatcher(nil, []stage{watchCrud, watchAggr})
	out := &syncBuffer{}
	w.out, w.quiet = out, 20*time.Millisecond
	w.test = func(s stage) watchResult {
		if n := running.Add(1); n > most.Load() {
			most.Store(n)
		}
		defer running.Add(-1)
		if runs.Add(1) == 1 {
			<-release // the first run takes a while
		}
		return watchResult{summary: "stage " + s.Slug + " tested"}
	}
	ctx, cancel := context.WithCancel(context.Background())
	enter := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() { w.loop(ctx, 5*time.Millisecond, enter); close(done) }()
	defer func() { once.Do(func() { close(release) }); cancel(); <-done }()

	require.Eventually(t, func() bool { return strings.Contains(out.String(), "Watching stages/") }, 5*time.Second, 5*time.Millisecond)
	enter <- struct{}{}
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "No stage yet") }, 5*time.Second, 5*time.Millisecond,
		"Enter before any save says what to do:\n%s", out)

	save(t, filepath.Join(watchAggr.StarterDir(), "bank.go"), "package bank // 1\n", time.Now())
	require.Eventually(t, func() bool { return runs.Load() == 1 }, 5*time.Second, 5*time.Millisecond, "a save starts a run")
	save(t, filepath.Join(watchAggr.StarterDir(), "bank.go"), "package bank // saved during the run\n", time.Now())
	enter <- struct{}{} // pressed during the run too: the run after it is fresh, so no third one
	time.Sleep(50 * time.Millisecond)
	require.Equal(t, int32(1), runs.Load(), "no second run while one runs")
	once.Do(func() { close(release) })
	require.Eventually(t, func() bool { return runs.Load() == 2 }, 5*time.Second, 5*time.Millisecond, "the save during the run is seen after it")
	time.Sleep(100 * time.Millisecond)
	require.Equal(t, int32(2), runs.Load(), "one run for the save made during the first")

	enter <- struct{}{}
	require.Eventually(t, func() bool { return runs.Load() == 3 }, 5*time.Second, 5*time.Millisecond, "Enter runs again")
	require.Equal(t, int32(1), most.Load(), "never two runs at once")

	screen := out.String()
	require.Contains(t, screen, "make watch · stage 3 (03-aggregates)")
	require.Contains(t, screen, "stages/03-aggregates/bank.go saved")
	require.Contains(t, screen, "Enter pressed")
	require.Contains(t, screen, "stage 03-aggregates tested")
	require.Contains(t, screen, "Enter runs them now · Ctrl-C stops", "the screen says how to re-run and stop")
	require.NotContains(t, screen, "\033[", "no terminal codes when the output is not a terminal")

	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Ctrl-C did not stop the loop")
	}
}

// A failure as go test -json hands it over, from stage 1's starter.
const depositFailure = "=== RUN   Test1_1_ConcurrentDepositsLoseNothing\n" +
	"    deposit_test.go:53: \n" +
	"        Task 1.1 · Deposit with one conditional UPDATE\n" +
	"          Doing:    40 deposits of 100 that all arrive before any is written\n" +
	"          Expected: all 40 deposits accepted\n" +
	"          Got:      40 × 500\n" +
	"                    server log: \"task 1.1 is not done yet\"\n" +
	"          Open:     stages/01-crud/balance_updates.go (look for TODO(1.1))\n" +
	"          Hint:     make hint TASK=1.1\n" +
	"    deposit_test.go:60: \n" +
	"        a second message, not shown\n" +
	"--- FAIL: Test1_1_ConcurrentDepositsLoseNothing (0.01s)\n"

// A rule checked in a subtest, failing because an earlier task is not done.
const ruleFailure = "=== RUN   Test1_2_TheBankKeepsItsRules\n" +
	"=== RUN   Test1_2_TheBankKeepsItsRules/the_times_the_bank_stores_are_in_UTC\n" +
	"    rules.go:187: \n" +
	"        Rule:     the times the bank stores are in UTC\n" +
	"          (a test of Task 1.2 · Withdraw without going past the overdraft limit)\n" +
	"          Needs task 1.1 first: its stub still returns the TODO error.\n" +
	"          Hint:     make hint TASK=1.1\n" +
	"--- FAIL: Test1_2_TheBankKeepsItsRules/the_times_the_bank_stores_are_in_UTC (0.01s)\n" +
	"--- FAIL: Test1_2_TheBankKeepsItsRules (0.01s)\n"

func TestWatchShowsTheFirstFailureItsHintAndOneLineOfProgress(t *testing.T) {
	deposit := task{ID: "1.1", Title: "Deposit"}
	withdraw := task{ID: "1.2", Title: "Withdraw"}
	transfer := task{ID: "1.3", Title: "Transfer", Optional: true}
	run := testRun{Tests: map[string]*testResult{
		"Test1_2_TheBankKeepsItsRules":          {Output: ruleFailure},
		"Test1_1_ConcurrentDepositsLoseNothing": {Output: depositFailure},
		"Test1_1_DepositAddsToTheBalance":       {Passed: true},
		"TestGuard_OpenAccount":                 {Passed: true},
	}, Order: []string{"Test1_2_TheBankKeepsItsRules", "Test1_1_DepositAddsToTheBalance", "Test1_1_ConcurrentDepositsLoseNothing", "TestGuard_OpenAccount"}}
	tasks := []taskProgress{{deposit, 1, 2}, {withdraw, 0, 1}, {transfer, 0, 0}}

	require.Equal(t, "Task 1.1 · Deposit with one conditional UPDATE\n"+
		"  Doing:    40 deposits of 100 that all arrive before any is written\n"+
		"  Expected: all 40 deposits accepted\n"+
		"  Got:      40 × 500\n"+
		"            server log: \"task 1.1 is not done yet\"\n"+
		"  Open:     stages/01-crud/balance_updates.go (look for TODO(1.1))\n"+
		"  Hint:     make hint TASK=1.1\n"+
		"\n"+
		"stage 1: 0/2 tasks pass · next: 1.1 · 2/4 tests · 9.4 s",
		watchSummary(watchCrud, tasks, run, 9400*time.Millisecond),
		"the first task's failure, though a later task's test ran first; without go test's lines and indentation")

	// Task 1.1 done: 1.2's failure shows, and its hint is the one its message names.
	run.Tests["Test1_1_ConcurrentDepositsLoseNothing"].Passed = true
	tasks[0].Passed = 2
	out := watchSummary(watchCrud, tasks, run, time.Second)
	require.True(t, strings.HasPrefix(out, "Rule:     the times the bank stores are in UTC\n  (a test of Task 1.2"), out)
	require.Contains(t, out, "make hint TASK=1.1")
	require.NotContains(t, out, "Stuck?", "the failure names its hint: once is enough")
	require.True(t, strings.HasSuffix(out, "stage 1: 1/2 tasks pass · next: 1.2 · 3/4 tests · 1.0 s"), out)

	// Everything required passes, a guard broke.
	run.Tests["Test1_2_TheBankKeepsItsRules"].Passed = true
	tasks[1].Passed = 1
	run.Tests["TestGuard_OpenAccount"] = &testResult{Output: "=== RUN   TestGuard_OpenAccount\n    api.go:9: \n        This worked in the starter; a change broke it.\n--- FAIL: TestGuard_OpenAccount (0.00s)\n"}
	out = watchSummary(watchCrud, tasks, run, time.Second)
	require.True(t, strings.HasPrefix(out, "This worked in the starter; a change broke it.\n\n(TestGuard_OpenAccount passed on the starter: a change broke it.)"), out)
	require.Contains(t, out, "stage 1: 2/2 tasks pass · 1 test(s) that passed on the starter fail now")

	// All done: the stretch task is offered.
	run.Tests["TestGuard_OpenAccount"].Passed = true
	out = watchSummary(watchCrud, tasks, run, time.Second)
	require.Equal(t, "stage 1: 2/2 tasks pass · stage done · stretch task 1.3 if you have time · 4/4 tests · 1.0 s", out)

	// Code that does not compile: the compiler's first lines.
	out = watchSummary(watchCrud, tasks, testRun{BuildFail: "stages/01-crud/bank.go:3:1: syntax error\n" + strings.Repeat("more\n", 30)}, time.Second)
	require.True(t, strings.HasPrefix(out, "Your code in stages/01-crud does not compile yet:\n\nstages/01-crud/bank.go:3:1: syntax error\nmore"), out)
	require.Contains(t, out, "more lines: make test-stage1 shows them all")
	require.True(t, strings.HasSuffix(out, "stage 1: does not compile · fix the first error above"), out)
}

func TestWatchShowsAFailureWithoutAMessageAsItIs(t *testing.T) {
	got := failureBlock("=== RUN   Test2_1_X\npanic: runtime error: index out of range\n\ngoroutine 7 [running]:\n--- FAIL: Test2_1_X (0.00s)\n")
	require.Equal(t, "panic: runtime error: index out of range\n\ngoroutine 7 [running]:", got)
}

func TestWatchShowsNoResultForARunStoppedByCtrlC(t *testing.T) {
	watchFolder(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	w := newWatcher(&watchCrud, []stage{watchCrud})
	w.out = out
	w.test = func(stage) watchResult {
		cancel()
		return watchResult{summary: "no tests ran (go test was interrupted)"}
	}
	done := make(chan struct{})
	go func() { w.loop(ctx, 5*time.Millisecond, make(chan struct{}, 1)); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Ctrl-C during a run did not stop the loop")
	}
	require.Contains(t, out.String(), "Running stage 1's tests")
	require.NotContains(t, out.String(), "no tests ran", "the remains of an interrupted run are not shown as its result")
}

func TestWatchReportsItsStageToTheBoardWhenItChanges(t *testing.T) {
	b, srv := startBoard(t, noRateLimits)
	resp, _ := postReport(t, srv, reportJSON("ada", "1.1", "1.2"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	w := &watcher{report: &statusReport{url: srv.URL, nick: "ada"}}
	aggregates := stage{Number: 3, Slug: "03-aggregates"}

	require.Equal(t, `Room board: sent {"nick":"ada","passing":["3.1"],"stages":[3]}`, w.reportRun(aggregates, []string{"3.1"}))
	require.Equal(t, "", w.reportRun(aggregates, []string{"3.1"}), "nothing new: nothing sent")
	require.Equal(t, "", w.reportRun(aggregates, nil), "a stage that does not compile is not reported")
	b.mu.Lock()
	require.Equal(t, []string{"1.1", "1.2", "3.1"}, b.attendees["ada"].Passing, "the board keeps stage 1 from make status")
	b.mu.Unlock()

	srv.Close()
	line := w.reportRun(aggregates, []string{"3.1", "3.2"})
	require.Contains(t, line, "Room board: not sent (the board at "+srv.URL+" does not answer")
	require.Contains(t, line, "the next run tries again")
	require.Equal(t, []string{"3.1"}, w.sent[3], "what failed to send is sent again next time")
	require.Equal(t, "", (&watcher{}).reportRun(aggregates, []string{"3.1"}), "no REPORT=: nothing sent")
}
