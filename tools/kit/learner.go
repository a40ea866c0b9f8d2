package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/go-es-workshop/kit/internal/exercise"
)

// taskProgress is how far a learner got with one task.
type taskProgress struct {
	Task          task
	Passed, Total int
}

func (p taskProgress) Done() bool { return p.Total > 0 && p.Passed == p.Total }

// progress runs stage s's tests against the learner's starter folder.
func progress(s stage) ([]taskProgress, testRun, error) {
	run, err := goTest(s.TestPkg(), goTestOptions{})
	if err != nil {
		return nil, run, err
	}
	tasks, err := tally(s, run)
	return tasks, run, err
}

// tally counts, per task of stage s, the task tests that passed in run.
func tally(s stage, run testRun) ([]taskProgress, error) {
	tasks, err := loadTasks(s)
	if err != nil {
		return nil, err
	}
	out := make([]taskProgress, len(tasks))
	for i, t := range tasks {
		out[i].Task = t
		for name, r := range run.Tests {
			if taskOfTest(name) == t.ID {
				out[i].Total++
				if r.Passed {
					out[i].Passed++
				}
			}
		}
	}
	return out, nil
}

// runLearnerTest is `make test-stageN`: the failures first, in full, then a short
// summary that says what to do next.
func runLearnerTest(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: kit test N")
	}
	s, err := stageByArg(args[0])
	if err != nil {
		return err
	}
	fmt.Printf("Running stage %d's tests against %s/ ...\n\n", s.Number, s.StarterDir())
	tasks, run, err := progress(s)
	if err != nil {
		return err
	}
	if run.BuildFail != "" {
		fmt.Printf("Your code in %s does not compile yet:\n\n%s\n\nFix the first error above, then run make test-stage%d again.\n", s.StarterDir(), run.BuildFail, s.Number)
		if strings.Contains(run.BuildFail, `internal/exercise" imported and not used`) {
			fmt.Println("(You solved the last TODO of that file: delete its import of .../internal/exercise.)")
		}
		return fmt.Errorf("stage %d does not build", s.Number)
	}
	if run.TimedOut {
		fmt.Printf("The tests were stopped after %s: some code never returned; %s\n"+
			"The test that was running is named in the goroutine dump above.\n\n", testTimeout, exercise.OpenTransactionAdvice)
	}
	var brokenGuards []string
	for _, name := range byTask(run) {
		r := run.Tests[name]
		if r.Passed {
			continue
		}
		fmt.Print(summarizePanics(r.Output, s.StarterDir()), "\n")
		if taskOfTest(name) == "" {
			brokenGuards = append(brokenGuards, name)
		}
	}
	if run.CrashedIn != "" {
		fmt.Printf("A panic in %s ended the test run: the tests after it did not run, so the counts below are short.\n\n", run.CrashedIn)
	}
	printSummary(s, tasks, brokenGuards)
	if !allDone(tasks) || len(brokenGuards) > 0 {
		os.Exit(1)
	}
	return nil
}

func printSummary(s stage, tasks []taskProgress, brokenGuards []string) {
	fmt.Printf("──── Stage %d · %s ────\n", s.Number, s.Slug)
	var next, stretch *taskProgress
	for i, p := range tasks {
		mark, title := "✗", p.Task.Title
		if p.Task.Optional {
			mark, title = "☆", "(stretch) "+title
		}
		switch {
		case p.Done():
			mark = "✓"
		case p.Task.Optional && stretch == nil:
			stretch = &tasks[i]
		case !p.Task.Optional && next == nil:
			next = &tasks[i]
		}
		fmt.Printf("  %s %s %-52s %d/%d tests\n", mark, p.Task.ID, title, p.Passed, p.Total)
	}
	if len(brokenGuards) > 0 {
		fmt.Printf("\n  These tests passed on the starter and fail now, so a change broke something that worked:\n    %s\n", strings.Join(brokenGuards, "\n    "))
	}
	switch {
	case next != nil:
		fmt.Printf("\n  Next: task %s, in %s/%s (look for TODO(%s)).\n  Stuck? make hint TASK=%s\n",
			next.Task.ID, s.StarterDir(), next.Task.File, next.Task.ID, next.Task.ID)
	case len(brokenGuards) == 0 && s.hasSolution():
		fmt.Printf("\n  Stage %d done. make compare-stage%d sets your code beside the solution (solutions/%s).\n",
			s.Number, s.Number, s.Slug)
	case len(brokenGuards) == 0:
		fmt.Printf("\n  Stage %d done. (The solutions are not in this folder: make compare-stage%d says where they are.)\n",
			s.Number, s.Number)
	}
	if next == nil && len(brokenGuards) == 0 && stretch != nil {
		fmt.Printf("  Time left? Stretch task %s (optional): %s, in %s/%s (look for TODO(%s)).\n  make hint TASK=%s helps.\n",
			stretch.Task.ID, stretch.Task.Title, s.StarterDir(), stretch.Task.File, stretch.Task.ID, stretch.Task.ID)
	}
}

// byTask orders a run's tests by task (2.1 before 2.2), keeping source order
// within a task, and guard tests last.
func byTask(run testRun) []string {
	names := slices.Clone(run.Order)
	slices.SortStableFunc(names, func(a, b string) int {
		ta, tb := taskOfTest(a), taskOfTest(b)
		switch {
		case ta == tb:
			return 0
		case ta == "":
			return 1
		case tb == "":
			return -1
		}
		return compareTasks(ta, tb)
	})
	return names
}

// compareTasks orders task ids numerically: 2.9 before 2.10.
func compareTasks(a, b string) int {
	var a1, a2, b1, b2 int
	fmt.Sscanf(a, "%d.%d", &a1, &a2)
	fmt.Sscanf(b, "%d.%d", &b1, &b2)
	if a1 != b1 {
		return a1 - b1
	}
	return a2 - b2
}

// allDone: every task but the stretch tasks passes.
func allDone(tasks []taskProgress) bool {
	for _, p := range tasks {
		if !p.Done() && !p.Task.Optional {
			return false
		}
	}
	return true
}

// runStatus prints a grid of every stage's tasks; with -report it then sends the
// passing tasks to the room board (report.go).
func runStatus(args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	boardURL := fs.String("report", "", "send your nickname and the ids of the tasks that pass to the room board at this URL (make board)")
	nick := fs.String("nick", "", "your nickname on the board (else the one in "+nicknameFile+", else asked once)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	report, err := prepareStatusReport(*boardURL, *nick)
	if err != nil {
		return err
	}
	list, err := stages()
	if err != nil {
		return err
	}
	pkgs := make([]string, len(list))
	for i, s := range list {
		pkgs[i] = s.TestPkg()
	}
	fmt.Println("Running every stage's tests against stages/ ...")
	runs, err := goTestPackages(pkgs, goTestOptions{})
	if err != nil {
		return err
	}
	width := len("stage")
	for _, s := range list {
		width = max(width, len(s.Slug))
	}
	fmt.Printf("%-*s tasks\n", width, "stage")
	var passing []string
	for _, s := range list {
		run := runs[s.TestPkg()]
		tasks, err := tally(s, run)
		if err != nil {
			return err
		}
		cells := make([]string, len(tasks))
		done, required := 0, 0
		for i, p := range tasks {
			mark := "·"
			if p.Done() {
				mark = "✓"
			}
			if p.Task.Optional {
				mark = map[bool]string{true: "★", false: "☆"}[p.Done()]
			} else {
				required++
				if p.Done() {
					done++
				}
			}
			cells[i] = p.Task.ID + " " + mark
			if p.Done() {
				passing = append(passing, p.Task.ID)
			}
		}
		note := fmt.Sprintf("%d/%d done", done, required)
		if run.BuildFail != "" {
			note = "does not compile: make test-stage" + fmt.Sprint(s.Number)
		}
		fmt.Printf("%-*s %s   %s\n", width, s.Slug, strings.Join(cells, "  "), note)
	}
	fmt.Println("\n✓ done  · to do  ☆ optional stretch task (★ done)   make test-stageN runs one stage; make hint TASK=N.k helps")
	return report.send(os.Stdout, passing)
}
