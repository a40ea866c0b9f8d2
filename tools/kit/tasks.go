package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/go-es-workshop/kit/internal/tasks"
)

// task is one exercise of a stage, as tasks.md describes it.
type task = tasks.Task

// loadTasks reads the tasks of stage s.
func loadTasks(s stage) ([]task, error) {
	return tasks.Load(filepath.Join(s.TestDir(), "tasks.md"))
}

// findTask looks a task up by id across all stages.
func findTask(id string) (stage, task, error) {
	if !taskID.MatchString(id) {
		return stage{}, task{}, fmt.Errorf("a task looks like 2.3, not %q", id)
	}
	s, err := stageByArg(strings.SplitN(id, ".", 2)[0])
	if err != nil {
		return stage{}, task{}, err
	}
	list, err := loadTasks(s)
	if err != nil {
		return stage{}, task{}, err
	}
	if t, ok := tasks.Find(list, id); ok {
		return s, t, nil
	}
	ids := make([]string, len(list))
	for i, t := range list {
		ids[i] = t.ID
	}
	return stage{}, task{}, fmt.Errorf("stage %d has no task %s; its tasks are %s", s.Number, id, strings.Join(ids, ", "))
}

// runHint prints one hint level, and says how to get the next.
func runHint(args []string) error {
	if len(args) == 0 || args[0] == "" {
		return fmt.Errorf("which task? e.g. make hint TASK=2.3 (make status lists them)")
	}
	s, t, err := findTask(args[0])
	if err != nil {
		return err
	}
	level := 1
	if len(args) > 1 && args[1] != "" {
		if _, err := fmt.Sscan(args[1], &level); err != nil || level < 1 || level > 3 {
			return fmt.Errorf("LEVEL is 1, 2 or 3")
		}
	}
	names := []string{"", "the idea", "where exactly", "almost the answer"}
	fmt.Printf("Task %s: %s\nFile: %s/%s\n\nHint %d of 3 (%s)\n\n%s\n", t.ID, t.Title, s.StarterDir(), t.File, level, names[level], t.Hints[level-1])
	if level < 3 {
		fmt.Printf("\nStill stuck? make hint TASK=%s LEVEL=%d\n", t.ID, level+1)
	} else if s.hasSolution() {
		fmt.Printf("\nThe full solution: solutions/%s/%s\n", s.Slug, t.File)
	}
	return nil
}
