package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// modulePath is the kit's Go module; stage code imports shared packages under it.
const modulePath = "github.com/go-es-workshop/kit"

// stage is one NN-topic folder, present under solutions/, stages/ and exercises_test/.
type stage struct {
	Number int
	Slug   string // "02-events"
}

func (s stage) SolutionDir() string { return filepath.Join("solutions", s.Slug) }
func (s stage) StarterDir() string  { return filepath.Join("stages", s.Slug) }
func (s stage) TestDir() string     { return filepath.Join("exercises_test", s.Slug) }
func (s stage) TestPkg() string     { return "./" + filepath.ToSlash(s.TestDir()) }

var slugPattern = regexp.MustCompile(`^(\d\d)-[a-z0-9-]+$`)

// stages lists the stages, in order: every NN-topic folder under stages/ or
// exercises_test/ (what learners have), or solutions/ (a stage gen has not written yet).
// A kit without solutions/ (the learner edition) works the same.
func stages() ([]stage, error) {
	seen := map[string]bool{}
	var out []stage
	for _, dir := range []string{"stages", "exercises_test", "solutions"} {
		entries, _ := os.ReadDir(dir) // a missing folder has no stages
		for _, e := range entries {
			m := slugPattern.FindStringSubmatch(e.Name())
			if !e.IsDir() || m == nil || seen[e.Name()] {
				continue
			}
			seen[e.Name()] = true
			n, _ := strconv.Atoi(m[1])
			out = append(out, stage{Number: n, Slug: e.Name()})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no stages here: run from the kit's top folder (the one with stages/ and exercises_test/)")
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out, nil
}

// hasSolution reports whether stage s's solution is in this folder. The learner
// edition has no solutions/, and a learner may delete it to avoid spoilers.
func (s stage) hasSolution() bool {
	entries, err := os.ReadDir(s.SolutionDir())
	return err == nil && len(entries) > 0
}

// errNoSolution says plainly that a command needs stage s's solution, which is not
// here, and how to get it.
func errNoSolution(s stage, what string) error {
	get := "They come with the full kit: ask your presenter for it."
	if url := editionSource(); url != "" {
		get = "They come with the full kit: git clone " + url
	}
	if gitHas("HEAD", s.SolutionDir()) {
		get = "This folder's git history has them: git checkout HEAD -- solutions"
	}
	return fmt.Errorf("%s needs the solution (%s), and this folder has no solutions\n"+
		"(it is the learner edition, or they were removed). %s", what, s.SolutionDir(), get)
}

// editionInfo is the file that says what an edition is and where the full kit is.
const editionInfo = ".kit/edition"

// editionSource is where the full kit is, as the edition recorded it ("" if unknown
// or if this is not an edition).
func editionSource() string {
	data, err := os.ReadFile(editionInfo)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if url, ok := strings.CutPrefix(line, "full-kit: "); ok {
			return strings.TrimSpace(url)
		}
	}
	return ""
}

// gitHas reports whether git's rev of the current folder has path.
func gitHas(rev, path string) bool {
	return exec.Command("git", "cat-file", "-e", rev+":./"+filepath.ToSlash(path)).Run() == nil
}

// stageByArg finds the stage named by "2", "02" or "02-events".
func stageByArg(arg string) (stage, error) {
	all, err := stages()
	if err != nil {
		return stage{}, err
	}
	for _, s := range all {
		if arg == s.Slug || arg == s.Slug[:2] || arg == strconv.Itoa(s.Number) {
			return s, nil
		}
	}
	return stage{}, fmt.Errorf("no stage %q; stages are 1..%d", arg, len(all))
}

// selectStages returns the stages named by args ("3", or "1 2 3"), or all of them.
func selectStages(args []string) ([]stage, error) {
	var list []stage
	for _, arg := range args {
		if arg == "" {
			continue
		}
		s, err := stageByArg(arg)
		if err != nil {
			return nil, err
		}
		list = append(list, s)
	}
	if len(list) > 0 {
		return list, nil
	}
	return stages()
}

func init() {
	// Registered here, beside stageByArg; main.go lists every command in its usage.
	commands["dir"] = command{"dir N [solution]        print stage N's folder (its starter, or its solution) for make run-stageN", runDir}
}

// runDir prints the folder of stage N's starter, or of its solution, and fails
// plainly when it is not there.
func runDir(args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return fmt.Errorf("usage: kit dir N [solution]")
	}
	s, err := stageByArg(args[0])
	if err != nil {
		return err
	}
	if len(args) == 2 && args[1] != "" {
		if !s.hasSolution() {
			return errNoSolution(s, fmt.Sprintf("make run-stage%d SOLUTION=1", s.Number))
		}
		fmt.Println(s.SolutionDir())
		return nil
	}
	if _, err := os.Stat(s.StarterDir()); err != nil {
		return fmt.Errorf("%s is missing: make reset-stage%d restores the starter", s.StarterDir(), s.Number)
	}
	fmt.Println(s.StarterDir())
	return nil
}
