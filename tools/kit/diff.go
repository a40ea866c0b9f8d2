package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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
	if !s.hasSolution() {
		return errNoSolution(s, fmt.Sprintf("make diff-stage%d", s.Number))
	}
	prev, ok := previousStage(s)
	if !ok {
		fmt.Printf("Stage %d is the first stage: there is nothing before it to compare with.\n"+
			"make compare-stage%d sets your code beside the solution.\n", s.Number, s.Number)
		return nil
	}
	tmp, err := os.MkdirTemp("", "kit-diff-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if !prev.hasSolution() {
		return errNoSolution(prev, fmt.Sprintf("make diff-stage%d", s.Number))
	}
	for _, st := range []stage{prev, s} {
		if err := cleanCopy(st.SolutionDir(), filepath.Join(tmp, st.Slug)); err != nil {
			return err
		}
	}
	return gitDiff(tmp, prev.Slug, s.Slug)
}

// runCompare shows how the learner's stage differs from the solution.
func runCompare(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: kit compare N")
	}
	s, err := stageByArg(args[0])
	if err != nil {
		return err
	}
	if !s.hasSolution() {
		return errNoSolution(s, fmt.Sprintf("make compare-stage%d", s.Number))
	}
	if _, err := os.Stat(s.StarterDir()); err != nil {
		return fmt.Errorf("%s is missing: make reset-stage%d restores the starter", s.StarterDir(), s.Number)
	}
	tmp, err := os.MkdirTemp("", "kit-compare-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := os.CopyFS(filepath.Join(tmp, "yours"), os.DirFS(s.StarterDir())); err != nil {
		return err
	}
	if err := cleanCopy(s.SolutionDir(), filepath.Join(tmp, "solution")); err != nil {
		return err
	}
	fmt.Printf("- lines: %s (yours)   + lines: %s\n\n", s.StarterDir(), s.SolutionDir())
	return gitDiff(tmp, "yours", "solution")
}

func previousStage(s stage) (stage, bool) {
	all, _ := stages()
	for _, st := range all {
		if st.Number == s.Number-1 {
			return st, true
		}
	}
	return stage{}, false
}

// cleanCopy copies a solution folder without exercise markers, importing stages/
// paths like the starters do, so that a diff shows only what matters.
func cleanCopy(from, to string) error {
	return filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, ".go") {
			res, err := cutExercises(path, data, 0) // stage 0 has no tasks: nothing is cut
			if err != nil {
				return err
			}
			data = res.Text
		}
		target := filepath.Join(to, rel)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// gitDiff runs git diff between two folders of dir; git pages it on a terminal.
func gitDiff(dir, a, b string) error {
	for _, sub := range []string{a, b} {
		if _, err := os.Stat(filepath.Join(dir, sub)); err != nil {
			return fmt.Errorf("nothing to compare: %s has no files", sub)
		}
	}
	cmd := exec.Command("git", "diff", "--no-index", "--stat", "--patch", "--", a, b)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = os.Stdout, io.MultiWriter(os.Stderr, &stderr)
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		fmt.Println("No differences.")
		return nil
	case errors.Is(err, syscall.EPIPE) || (errors.As(err, &exit) && !exit.Exited()):
		return nil // the reader (head, a pager) stopped early
	case errors.As(err, &exit) && exit.ExitCode() == 1 && !gitFailed(stderr.String()):
		return nil // git diff exits 1 when there are differences (and on errors: "error: Could not access ...")
	}
	return fmt.Errorf("git diff failed: %v", err)
}

// gitFailed reports whether git's stderr says it failed, rather than warned.
func gitFailed(stderr string) bool {
	return strings.Contains(stderr, "error:") || strings.Contains(stderr, "fatal:")
}
