package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
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

// stages lists the stages that have a solution, in order.
func stages() ([]stage, error) {
	entries, err := os.ReadDir("solutions")
	if err != nil {
		return nil, fmt.Errorf("run from the kit's top folder: %w", err)
	}
	var out []stage
	for _, e := range entries {
		m := slugPattern.FindStringSubmatch(e.Name())
		if !e.IsDir() || m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		out = append(out, stage{Number: n, Slug: e.Name()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out, nil
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

// selectStages returns all stages, or just the one named by args[0].
func selectStages(args []string) ([]stage, error) {
	if len(args) > 0 && args[0] != "" {
		s, err := stageByArg(args[0])
		return []stage{s}, err
	}
	return stages()
}
