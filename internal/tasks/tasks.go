// Package tasks reads a stage's task list and hints (exercises_test/NN-topic/tasks.md).
package tasks

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// A stage's tasks and their hints live in exercises_test/NN-topic/tasks.md:
//
//	## 2.3 Append with an expected version
//	File: `eventstore_append.go`
//
//	### Hint 1
//	...
//
// The same file is read by the tests (to name the file in a failure), by `make hint`
// and by `make status`.

// Task is one exercise of a stage.
type Task struct {
	ID    string
	Title string
	File  string   // relative to the stage folder
	Hints []string // level 1 (concept), 2 (the exact spot), 3 (near-solution)
	// Optional marks a stretch task for fast finishers (its heading says
	// "## 3.5 Stretch: ..."): the stage is done without it, and its stub leaves
	// the stage working.
	Optional bool
}

// stretchPrefix starts the title of an optional task.
const stretchPrefix = "Stretch: "

var (
	taskHeading = regexp.MustCompile(`^## (\d+\.\d+) (.+)$`)
	fileLine    = regexp.MustCompile("^File: `([^`]+)`")
	hintHeading = regexp.MustCompile(`^### Hint (\d)`)
)

// Load reads a tasks.md file.
func Load(path string) ([]Task, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var tasks []Task
	var hint *strings.Builder
	flush := func() {
		if hint != nil {
			t := &tasks[len(tasks)-1]
			t.Hints = append(t.Hints, strings.TrimSpace(hint.String()))
			hint = nil
		}
	}
	sc := bufio.NewScanner(f)
	inFence := false
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
		}
		switch {
		case inFence && hint != nil:
			hint.WriteString(line + "\n")
		case taskHeading.MatchString(line):
			flush()
			m := taskHeading.FindStringSubmatch(line)
			tasks = append(tasks, Task{ID: m[1], Title: strings.TrimPrefix(m[2], stretchPrefix),
				Optional: strings.HasPrefix(m[2], stretchPrefix)})
		case len(tasks) > 0 && fileLine.MatchString(line) && hint == nil:
			tasks[len(tasks)-1].File = fileLine.FindStringSubmatch(line)[1]
		case len(tasks) > 0 && hintHeading.MatchString(line):
			flush()
			hint = &strings.Builder{}
		case strings.HasPrefix(line, "# ") || strings.HasPrefix(line, "## "):
			flush()
		case hint != nil:
			hint.WriteString(line + "\n")
		}
	}
	flush()
	for _, t := range tasks {
		if t.File == "" || len(t.Hints) != 3 {
			return nil, fmt.Errorf("%s: task %s needs a File: line and exactly 3 hints (has %d)", path, t.ID, len(t.Hints))
		}
	}
	return tasks, sc.Err()
}

// testName matches the name of a task test: Test2_3_Something checks task 2.3.
var testName = regexp.MustCompile(`^Test(\d+)_(\d+)_`)

// OfTest returns the task a test checks ("2.3" for Test2_3_Something); guard
// tests (TestGuard_Something) check no task.
func OfTest(name string) (string, bool) {
	m := testName.FindStringSubmatch(name)
	if m == nil {
		return "", false
	}
	return m[1] + "." + m[2], true
}

// Find returns the task with the given id.
func Find(list []Task, id string) (Task, bool) {
	for _, t := range list {
		if t.ID == id {
			return t, true
		}
	}
	return Task{}, false
}
