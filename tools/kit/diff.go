package main

import (
	"fmt"
	"os"
	"os/exec"
)

// runDiff shows what stage N's solution adds to stage N-1's: the lesson in one diff.
func runDiff(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: kit diff N")
	}
	s, err := stageByArg(args[0])
	if err != nil {
		return err
	}
	all, _ := stages()
	var prev *stage
	for i := range all {
		if all[i].Number == s.Number-1 {
			prev = &all[i]
		}
	}
	if prev == nil {
		return fmt.Errorf("stage %d is the first stage: there is nothing before it to compare with", s.Number)
	}
	cmd := exec.Command("git", "diff", "--no-index", "--stat", "--patch", "--", prev.SolutionDir(), s.SolutionDir())
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
			return nil // git diff exits 1 when there are differences
		}
		return err
	}
	return nil
}
