package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// generated is a stage's starter as gen would write it: relative path -> content.
type generated struct {
	Files map[string][]byte
	Cut   []string // tasks cut, sorted
}

// generate builds stage s's starter from its solution.
func generate(s stage) (generated, error) {
	files, err := readTree(s.SolutionDir())
	if err != nil {
		return generated{}, err
	}
	return generateFrom(s, files)
}

// generateFrom builds stage s's starter from the files of its solution (relative
// path -> content), wherever they were read from.
func generateFrom(s stage, solution map[string][]byte) (generated, error) {
	g := generated{Files: map[string][]byte{}}
	for _, rel := range slices.Sorted(maps.Keys(solution)) {
		src := solution[rel]
		if !strings.HasSuffix(rel, ".go") {
			g.Files[rel] = src
			continue
		}
		res, err := cutExercises(filepath.Join(s.SolutionDir(), filepath.FromSlash(rel)), src, s.Number)
		if err != nil {
			return g, err
		}
		g.Files[rel] = res.Text
		g.Cut = append(g.Cut, res.Tasks...)
	}
	sort.Strings(g.Cut)
	g.Cut = slices.Compact(g.Cut)
	return g, nil
}

// readTree reads every file under dir: slash-separated relative path -> content.
func readTree(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		data, err := os.ReadFile(path)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	return files, err
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
	return replaceStarter(s, g.Files)
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
