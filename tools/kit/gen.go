package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// generated is a stage's starter as gen would write it: relative path -> content.
type generated struct {
	Files map[string][]byte
	Cut   []string // tasks cut, sorted
}

// generate builds stage s's starter from its solution.
func generate(s stage) (generated, error) {
	g := generated{Files: map[string][]byte{}}
	err := filepath.WalkDir(s.SolutionDir(), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(s.SolutionDir(), path)
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !strings.HasSuffix(path, ".go") {
			g.Files[filepath.ToSlash(rel)] = src
			return nil
		}
		res, err := cutExercises(path, src, s.Number)
		if err != nil {
			return err
		}
		g.Files[filepath.ToSlash(rel)] = res.Text
		g.Cut = append(g.Cut, res.Tasks...)
		return nil
	})
	sort.Strings(g.Cut)
	g.Cut = slices.Compact(g.Cut)
	return g, err
}

// runGen writes stages/ from solutions/, for every stage or the one named.
func runGen(args []string) error {
	list, err := selectStages(args)
	if err != nil {
		return err
	}
	for _, s := range list {
		g, err := generate(s)
		if err != nil {
			return err
		}
		if err := writeStarter(s, g); err != nil {
			return err
		}
		fmt.Printf("%s: %d files, tasks cut: %s\n", s.StarterDir(), len(g.Files), strings.Join(g.Cut, " "))
	}
	return nil
}

// writeStarter replaces stage s's starter folder with g.
func writeStarter(s stage, g generated) error {
	if err := os.RemoveAll(s.StarterDir()); err != nil {
		return err
	}
	for rel, content := range g.Files {
		path := filepath.Join(s.StarterDir(), filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// starterDrift lists how stage s's folder on disk differs from what gen writes.
func starterDrift(s stage) ([]string, error) {
	g, err := generate(s)
	if err != nil {
		return nil, err
	}
	var drift []string
	onDisk := map[string]bool{}
	err = filepath.WalkDir(s.StarterDir(), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(s.StarterDir(), path)
		rel = filepath.ToSlash(rel)
		onDisk[rel] = true
		want, ok := g.Files[rel]
		if !ok {
			drift = append(drift, rel+": not in the solution")
			return nil
		}
		got, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			drift = append(drift, rel+": differs")
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	for rel := range g.Files {
		if !onDisk[rel] {
			drift = append(drift, rel+": missing")
		}
	}
	sort.Strings(drift)
	return drift, nil
}

// runCheckStages fails when any starter is not what gen would write.
func runCheckStages(args []string) error {
	list, err := selectStages(args)
	if err != nil {
		return err
	}
	failed := false
	for _, s := range list {
		drift, err := starterDrift(s)
		if err != nil {
			return err
		}
		for _, d := range drift {
			fmt.Printf("%s/%s\n", s.StarterDir(), d)
			failed = true
		}
	}
	if failed {
		return fmt.Errorf("stages/ is not what the generator writes from solutions/: run `make gen` (kit maintainers) or `make reset-stageN` (learners: restores a starter)")
	}
	fmt.Println("stages/ matches solutions/")
	return nil
}

// runReset restores one starter, keeping the learner's files in .data/backup first.
func runReset(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: kit reset N")
	}
	s, err := stageByArg(args[0])
	if err != nil {
		return err
	}
	g, err := generate(s)
	if err != nil {
		return err
	}
	backup := filepath.Join(".data", "backup", s.Slug+"-"+time.Now().Format("20060102-150405"))
	if err := os.CopyFS(backup, os.DirFS(s.StarterDir())); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("backing up %s: %w", s.StarterDir(), err)
	}
	if err := writeStarter(s, g); err != nil {
		return err
	}
	fmt.Printf("%s is a fresh starter again. Your previous files are in %s;\nto get them back: rm -r %s && cp -r %s %s\n",
		s.StarterDir(), backup, s.StarterDir(), backup, s.StarterDir())
	return nil
}
