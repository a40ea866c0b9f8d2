package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// kit fuzz runs each stage's fuzz targets (FuzzGuard_...) against its solution
// for a short while: go test runs their seeds as tests, this looks further.
// An input that fails is written to the test folder's testdata/fuzz, where it
// stays as a seed, and the command fails.

var fuzzTarget = regexp.MustCompile(`(?m)^func (FuzzGuard_\w+)\(f \*testing\.F\)`)

func runFuzz(args []string) error {
	flags := flag.NewFlagSet("fuzz", flag.ContinueOnError)
	budget := flags.Duration("time", 10*time.Second, "how long each target is fuzzed")
	if err := flags.Parse(args); err != nil {
		return err
	}
	list, err := selectStages(flags.Args())
	if err != nil {
		return err
	}
	failed := 0
	for _, s := range list {
		targets, err := fuzzTargets(s)
		if err != nil {
			return err
		}
		if len(targets) == 0 {
			continue
		}
		overlay := filepath.Join(os.TempDir(), fmt.Sprintf("kit-fuzz-%d-%s.json", os.Getpid(), s.Slug))
		if err := writeOverlay(s, overlay, nil); err != nil {
			return err
		}
		defer os.Remove(overlay)
		for _, target := range targets {
			line, err := fuzzOne(s, overlay, target, *budget)
			fmt.Printf("stage %d %s %s\n", s.Number, target, line)
			if err != nil {
				failed++
				fmt.Println(indent(err.Error()))
			}
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d fuzz target(s) found an input that fails (kept in testdata/fuzz as a seed)", failed)
	}
	return nil
}

// fuzzTargets lists the fuzz targets in a stage's tests.
func fuzzTargets(s stage) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(s.TestDir(), "*_test.go"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		for _, m := range fuzzTarget.FindAllSubmatch(data, -1) {
			out = append(out, string(m[1]))
		}
	}
	return out, nil
}

// fuzzOne fuzzes one target against the solution and sums up go's last report:
// "10s, 88639 execs, seed corpus 14, 70 new inputs kept".
func fuzzOne(s stage, overlay, target string, budget time.Duration) (string, error) {
	cmd := exec.Command("go", "test", "-overlay", overlay, "-run", "^$", "-fuzz", "^"+target+"$",
		"-fuzztime", budget.String(), "./"+filepath.ToSlash(s.TestDir())+"/")
	out, err := cmd.CombinedOutput()
	seeds, _ := seedCount(s, overlay, target)
	summary := fmt.Sprintf("%s, seed corpus %d", budget, seeds)
	if last := lastFuzzReport(string(out)); last != "" {
		summary += ", " + last
	}
	if err != nil {
		return summary, fmt.Errorf("%v\n%s", err, out)
	}
	return summary, nil
}

var fuzzReport = regexp.MustCompile(`execs: (\d+) .*new interesting: (\d+)`)

// lastFuzzReport is "N execs, K new inputs kept" from go's last progress line.
func lastFuzzReport(out string) string {
	last := ""
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if m := fuzzReport.FindStringSubmatch(sc.Text()); m != nil {
			last = fmt.Sprintf("%s execs, %s new inputs kept", m[1], m[2])
		}
	}
	return last
}

// seedCount counts a target's seed corpus (its f.Add calls and the files of
// testdata/fuzz): go test -v runs each seed as a subtest.
func seedCount(s stage, overlay, target string) (int, error) {
	out, err := exec.Command("go", "test", "-overlay", overlay, "-count=1", "-run", "^"+target+"$", "-v", "./"+filepath.ToSlash(s.TestDir())+"/").CombinedOutput()
	if err != nil {
		return 0, err
	}
	return strings.Count(string(out), "--- PASS: "+target+"/"), nil
}
