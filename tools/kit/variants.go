package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// A known-wrong variant is a classic mistake kept as a patch on a solution, in
// exercises_test/NN-topic/known-wrong/NAME.txt:
//
//	Free text: the mistake and why it is wrong.
//	caught-by: Test2_3_AppendRejectsAStaleExpectedVersion
//	file: eventstore_append.go
//	--- find
//	<exact lines of the solution>
//	--- replace
//	<the wrong lines>
//	--- end
//
// `make test` applies it and requires every caught-by test to fail: a test suite
// that a known mistake passes is too weak.
type variant struct {
	Name     string
	Why      string
	CaughtBy []string
	Edits    []edit
}

type edit struct {
	File, Find, Replace string
}

func loadVariants(s stage) ([]variant, error) {
	paths, err := filepath.Glob(filepath.Join(s.TestDir(), "known-wrong", "*.txt"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var out []variant
	for _, p := range paths {
		v, err := parseVariant(p)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func parseVariant(path string) (variant, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return variant{}, err
	}
	v := variant{Name: strings.TrimSuffix(filepath.Base(path), ".txt")}
	var file, block string
	var find, repl []string
	var why []string
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case block == "" && strings.HasPrefix(line, "caught-by:"):
			v.CaughtBy = append(v.CaughtBy, strings.Fields(strings.TrimPrefix(line, "caught-by:"))...)
		case block == "" && strings.HasPrefix(line, "file:"):
			file = strings.TrimSpace(strings.TrimPrefix(line, "file:"))
		case line == "--- find" && block != "":
			return v, fmt.Errorf("%s: --- find inside an open edit (an --- end is missing)", path)
		case line == "--- find":
			block, find, repl = "find", nil, nil
		case line == "--- replace" && block == "find":
			block = "replace"
		case line == "--- end" && block == "replace":
			if file == "" || len(find) == 0 {
				return v, fmt.Errorf("%s: an edit needs a file: line and find text", path)
			}
			v.Edits = append(v.Edits, edit{File: file, Find: strings.Join(find, "\n"), Replace: strings.Join(repl, "\n")})
			block = ""
		case block == "find":
			find = append(find, line)
		case block == "replace":
			repl = append(repl, line)
		default:
			why = append(why, line)
		}
	}
	v.Why = strings.TrimSpace(strings.Join(why, "\n"))
	if block != "" || len(v.Edits) == 0 || len(v.CaughtBy) == 0 || v.Why == "" {
		return v, fmt.Errorf("%s: needs a description, caught-by: and at least one complete find/replace/end edit", path)
	}
	return v, nil
}

// apply writes the patched files under dir and returns stage file -> patched path.
func (v variant) apply(s stage, dir string) (map[string]string, error) {
	patched := map[string]string{}
	contents := map[string]string{}
	for _, e := range v.Edits {
		src, ok := contents[e.File]
		if !ok {
			data, err := os.ReadFile(filepath.Join(s.SolutionDir(), e.File))
			if err != nil {
				return nil, fmt.Errorf("variant %s: %w", v.Name, err)
			}
			src = string(data)
		}
		if n := strings.Count(src, e.Find); n != 1 {
			return nil, fmt.Errorf("variant %s: the find text occurs %d times in %s (want exactly once); did the solution change?", v.Name, n, e.File)
		}
		contents[e.File] = strings.Replace(src, e.Find, e.Replace, 1)
	}
	for file, src := range contents {
		path := filepath.Join(dir, s.Slug+"-"+v.Name+"-"+strings.ReplaceAll(filepath.ToSlash(file), "/", "_")) // stages verify side by side
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			return nil, err
		}
		patched[file] = path
	}
	return patched, nil
}
