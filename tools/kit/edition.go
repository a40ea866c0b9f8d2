package main

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// The learner edition is the kit without its answers, for handing out: what learners
// need to do every stage (starters, tests, hints, slides, the kit's tool), and
// nothing that needs solutions/ to work. `make learner-edition DIR=...` writes it
// as a new git repository with one commit, so `git diff` shows the learner's work
// and `make reset-stageN` has git as a second source besides .kit/starters.
//
// It leaves out:
//   - solutions/, and each stage's known-wrong/ variants (patches quoting the solution);
//   - tools/bench (it imports a solution), tools/kit's tests (they test the generator
//     on solutions/), .ci (it runs make test);
// and the Makefile's maintainer targets (make test, verify, gen, ...) say plainly that
// they need solutions/. Slides stay: they are the lesson, and show the code the
// presenter shows in the room.

func init() {
	// Registered here, beside its code; main.go lists every command in its usage.
	commands["edition"] = command{"edition [-url U] DIR    write the learner edition (no solutions/) to DIR, a new git repository", runEdition}
}

// editionRoots are the files and folders copied into the edition as they are.
// README.md is filtered (learnerREADME); stages/ and .kit/ are written from the
// solutions, so they are pristine whatever is in this folder's stages/.
var editionRoots = []string{
	".gitattributes", ".gitignore", "Makefile", "go.mod", "go.sum",
	"exercises_test", "internal", "slides", "tools/kit", "tools/slides", // internal/dashboard: the stages serve it
	"docs", // the cheat sheet and the run-sheet
}

// isLocalPath reports whether a git remote is a folder rather than an address
// (https://..., ssh://..., git@host:...).
func isLocalPath(remote string) bool {
	if remote == "" || strings.Contains(remote, "://") {
		return false
	}
	if strings.HasPrefix(remote, "/") || strings.HasPrefix(remote, ".") || strings.HasPrefix(remote, "~") || filepath.IsAbs(remote) {
		return true
	}
	return !strings.Contains(remote, ":") // user@host:path is scp-like ssh
}

// editionFile is one file of the edition.
type editionFile struct {
	Data []byte
	Mode fs.FileMode
}

func runEdition(args []string) error {
	flags := flag.NewFlagSet("edition", flag.ContinueOnError)
	url := flags.String("url", "", "where learners get the full kit, for the message that solutions are absent (default: git remote origin)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() != 1 || flags.Arg(0) == "" {
		return fmt.Errorf("which folder? e.g. make learner-edition DIR=../es-workshop-learner")
	}
	dir, err := filepath.Abs(flags.Arg(0))
	if err != nil {
		return err
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s exists and is not empty: name a new folder, or remove it first", dir)
	}
	if *url == "" {
		out, _ := exec.Command("git", "remote", "get-url", "origin").Output()
		*url = strings.TrimSpace(string(out))
		if isLocalPath(*url) {
			fmt.Printf("Note: this clone's origin is %s, a folder on this machine: learners told to fetch the full kit\n"+
				"from it will not find it. Name its public address: make learner-edition DIR=... URL=https://...\n", *url)
		}
	}
	files, err := editionFiles(*url)
	if err != nil {
		return err
	}
	// Written beside DIR and renamed at the end: a failure leaves no half edition.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, rel := range slices.Sorted(maps.Keys(files)) {
		p := filepath.Join(tmp, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, files[rel].Data, files[rel].Mode); err != nil {
			return err
		}
	}
	repo := "a new git repository with one commit"
	if _, err := exec.LookPath("git"); err != nil {
		repo = "not a git repository (git not found); make reset-stageN uses .kit/starters"
	} else if err := gitCommitAll(tmp, "The learner edition of the workshop kit"); err != nil {
		return err
	}
	_ = os.Remove(dir) // an empty folder, if any
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	fmt.Printf("Wrote the learner edition to %s: %d files, no solutions/, %s.\n"+
		"Hand it out (push it to a repository of its own, or copy it); learners start with\n"+
		"make setup, make doctor, then make test-stage1. Its README.md is the learner's.\n", dir, len(files), repo)
	return nil
}

// editionFiles is the learner edition, relative path -> file.
func editionFiles(fullKitURL string) (map[string]editionFile, error) {
	list, err := stages()
	if err != nil {
		return nil, err
	}
	for _, s := range list {
		if !s.hasSolution() {
			return nil, errNoSolution(s, "make learner-edition")
		}
	}
	files := map[string]editionFile{}
	for _, root := range editionRoots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel := filepath.ToSlash(p)
			if leftOutOfEdition(rel, d) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			data, err := os.ReadFile(p)
			if isDeck(rel) {
				data = learnerDeck(data)
			}
			files[rel] = editionFile{data, info.Mode().Perm() | 0o644}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		return nil, err
	}
	if readme, err = learnerREADME(readme); err != nil {
		return nil, err
	}
	files["README.md"] = editionFile{readme, 0o644}
	starters := map[string]map[string][]byte{}
	for _, s := range list {
		g, err := generate(s)
		if err != nil {
			return nil, err
		}
		starters[s.Slug] = g.Files
		for rel, data := range g.Files {
			files[filepath.ToSlash(s.StarterDir())+"/"+rel] = editionFile{data, 0o644}
		}
	}
	for rel, data := range pristineCopy(starters) {
		files[pristineDir+"/"+rel] = editionFile{data, 0o644}
	}
	info := "# The learner edition of the workshop kit, written by make learner-edition.\n" +
		"# It has no solutions/. make reset-stageN restores a starter from " + pristineDir + "/\n" +
		"# (checked against its " + pristineSums + ") or from this repository's git history.\n"
	if fullKitURL != "" {
		info += "full-kit: " + fullKitURL + "\n"
	}
	if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
		info += "made-from: " + strings.TrimSpace(string(out))
		if status, _ := exec.Command("git", "status", "--porcelain").Output(); len(status) > 0 {
			info += " (with uncommitted changes)"
		}
		info += "\n"
	}
	files[editionInfo] = editionFile{[]byte(info), 0o644}
	return files, nil
}

// leftOutOfEdition reports whether a file or folder under one of editionRoots stays
// out of the edition.
func leftOutOfEdition(rel string, d fs.DirEntry) bool {
	name := d.Name()
	switch {
	case slices.Contains(editionRoots, rel):
		return false
	case strings.HasPrefix(name, "."): // editor files, caches (slides/out/.mermaid)
		return true
	case d.IsDir():
		return name == "node_modules" || name == "known-wrong" || rel == "slides/out"
	case strings.HasPrefix(name, "mutants-"): // the mutation ledgers quote the solutions
		return true
	}
	return strings.HasPrefix(rel, "tools/kit/") && strings.HasSuffix(name, "_test.go")
}

// README.md serves both editions. Lines between these markers are only in the full
// kit's README:
//
//	<!-- full-kit -->
//	...
//	<!-- /full-kit -->
//
// and lines inside this comment (hidden on GitHub in the full kit) are only in the
// learner edition's:
//
//	<!-- learner-edition
//	...
//	-->
const (
	fullKitBegin = "<!-- full-kit -->"
	fullKitEnd   = "<!-- /full-kit -->"
	learnerBegin = "<!-- learner-edition"
	learnerEnd   = "-->"
)

// learnerREADME turns the full kit's README into the learner edition's.
func learnerREADME(src []byte) ([]byte, error) {
	var out []string
	block := "" // the marker of the block we are in
	for i, line := range strings.Split(string(src), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == fullKitBegin || trimmed == learnerBegin:
			if block != "" {
				return nil, fmt.Errorf("README.md:%d: %s inside %s", i+1, trimmed, block)
			}
			block = trimmed
		case block == fullKitBegin && trimmed == fullKitEnd,
			block == learnerBegin && trimmed == learnerEnd:
			block = ""
		case trimmed == fullKitEnd:
			return nil, fmt.Errorf("README.md:%d: %s without %s", i+1, fullKitEnd, fullKitBegin)
		case block != fullKitBegin:
			out = append(out, line)
		}
	}
	if block != "" {
		return nil, fmt.Errorf("README.md: %s is not closed", block)
	}
	return []byte(strings.Join(out, "\n")), nil
}

// gitCommitAll makes dir a new git repository with all its files in one commit.
func gitCommitAll(dir, message string) error {
	git := func(args ...string) error {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { // not the repository we run in
			return strings.HasPrefix(kv, "GIT_DIR=") || strings.HasPrefix(kv, "GIT_WORK_TREE=") || strings.HasPrefix(kv, "GIT_INDEX_FILE=")
		})
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("git %s: %w\n%s", args[0], err, out.String())
		}
		return nil
	}
	identity := []string{}
	if out, _ := exec.Command("git", "config", "user.email").Output(); len(bytes.TrimSpace(out)) == 0 {
		identity = []string{"-c", "user.name=Workshop kit", "-c", "user.email=kit@localhost"}
	}
	steps := [][]string{
		{"-c", "init.defaultBranch=main", "init", "-q"},
		{"add", "-A"},
		append(identity, "-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-m", message),
	}
	for _, args := range steps {
		if err := git(args...); err != nil {
			return err
		}
	}
	return nil
}
