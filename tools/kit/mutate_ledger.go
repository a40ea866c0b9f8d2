package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A full mutation run of eight stages takes most of an hour on two cores, and
// make test runs on every change. So a full run that passes leaves a ledger
// beside the stage's tests (committed): a hash of everything the outcome
// depends on, and for each mutant the test that killed it or the equivalence
// that excuses it. "kit mutate -incremental" (make test) trusts a ledger whose
// hash still matches, and re-checks a random sample of its kills against the
// freshly built mutant binary; anything else (a changed input, a key the
// generator no longer makes, a sampled kill that no longer fails) means a full
// run of that stage. "kit mutate" (make mutate) always runs everything.

const ledgerFile = "mutants-ledger.txt"

// ledgerSample is how many of a ledger's kills an incremental run re-checks.
func ledgerSample() int {
	if n, err := strconv.Atoi(os.Getenv("KIT_MUTATE_SAMPLE")); err == nil && n >= 0 {
		return n
	}
	return 24
}

// ledger is a stage's last passing full run.
type ledger struct {
	Inputs  string
	Verdict map[string]string // mutant key -> "killed by TestX", "killed: ..." or "equivalent"
}

// stageInputs hashes what a stage's mutation outcome depends on: its solution
// and starter, its tests and the shared test helpers, the shared internal
// packages they import, the mutant generator, the module's dependencies and
// Go's version.
func stageInputs(s stage) (string, error) {
	shared, err := internalDeps(s)
	if err != nil {
		return "", err
	}
	roots := append([]string{s.SolutionDir(), s.StarterDir(), s.TestDir(), filepath.Join("exercises_test", "spec")}, shared...)
	roots = append(roots, filepath.Join("tools", "kit", "mutate_sites.go"), filepath.Join("tools", "kit", "mutate_rewrite.go"), "go.mod", "go.sum")
	h := sha256.New()
	goVersion := runtime.Version()
	if parts := strings.SplitN(goVersion, ".", 3); len(parts) >= 2 {
		goVersion = parts[0] + "." + parts[1] // a patch release does not change which tests fail
	}
	fmt.Fprintf(h, "go %s\n", goVersion)
	for _, root := range roots {
		var files []string
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case path != root && strings.HasPrefix(d.Name(), "."):
				if d.IsDir() {
					return filepath.SkipDir // a server's data (.data), the kit's backups: not inputs
				}
			case !d.IsDir() && d.Name() != ledgerFile && !isStageREADME(s, path) && !isServedAsset(path):
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return "", err
		}
		sort.Strings(files)
		for _, path := range files {
			data, err := os.ReadFile(path)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(path), len(data))
			h.Write(data)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// isStageREADME reports whether path is a stage's README, in its solution or
// its starter: text for the learner that no test reads (a kit test checks
// that), so a new line in it does not send the stage to a full run.
func isStageREADME(s stage, path string) bool {
	if filepath.Base(path) != "README.md" {
		return false
	}
	dir := filepath.Dir(path)
	return dir == s.SolutionDir() || dir == s.StarterDir()
}

// isServedAsset reports whether path is a style sheet or a script that an
// internal package serves to browsers (the dashboard's app.css and app.js): no
// exercise test requests one, and a server sends them as bytes, unread, so a
// new colour does not send every stage to a full run. HTML templates, which a
// server parses as it starts, stay inputs.
func isServedAsset(path string) bool {
	ext := filepath.Ext(path)
	return strings.HasPrefix(filepath.ToSlash(path), "internal/") && (ext == ".css" || ext == ".js")
}

// internalDeps lists the folders of the kit's internal packages that the
// stage's tests, solution and starter import, directly or not, and
// internal/mutant, which the mutant build adds: a change to a package no
// stage imports leaves that stage's ledger valid.
func internalDeps(s stage) ([]string, error) {
	cmd := exec.Command("go", "list", "-deps", "-test", "-f", "{{.ImportPath}}",
		s.TestPkg(), "./"+filepath.ToSlash(s.SolutionDir())+"/...", "./"+filepath.ToSlash(s.StarterDir())+"/...")
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if e, ok := err.(*exec.ExitError); ok {
			stderr = string(e.Stderr)
		}
		return nil, fmt.Errorf("listing what stage %d imports: %w\n%s", s.Number, err, stderr)
	}
	dirs := map[string]bool{filepath.Join("internal", "mutant"): true}
	for _, path := range strings.Fields(string(out)) {
		if rest, ok := strings.CutPrefix(path, modulePath+"/internal/"); ok {
			dirs[filepath.Join("internal", filepath.FromSlash(rest))] = true
		}
	}
	return slices.Sorted(maps.Keys(dirs)), nil
}

// printInputs is kit mutate -inputs: each stage's inputs hash beside the one its
// ledger records, to see which stage a change sends to a full run.
func printInputs(args []string) error {
	list, err := selectStages(args)
	if err != nil {
		return err
	}
	for _, s := range list {
		inputs, err := stageInputs(s)
		if err != nil {
			return err
		}
		l, ok, err := readLedger(s)
		switch {
		case err != nil:
			return err
		case !ok:
			fmt.Printf("stage %d inputs %s  (no ledger)\n", s.Number, inputs)
		case l.Inputs == inputs:
			fmt.Printf("stage %d inputs %s  (its ledger's)\n", s.Number, inputs)
		default:
			fmt.Printf("stage %d inputs %s  (its ledger has %s: a full run)\n", s.Number, inputs, l.Inputs)
		}
	}
	return nil
}

// readLedger reads the stage's ledger; ok is false when it has none.
func readLedger(s stage) (l ledger, ok bool, err error) {
	data, err := os.ReadFile(filepath.Join(s.TestDir(), ledgerFile))
	if os.IsNotExist(err) {
		return l, false, nil
	}
	if err != nil {
		return l, false, err
	}
	l.Verdict = map[string]string{}
	for n, line := range strings.Split(string(data), "\n") {
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "inputs "):
			l.Inputs = strings.TrimPrefix(line, "inputs ")
		default:
			key, verdict, found := strings.Cut(line, " :: ")
			if !found {
				return l, false, fmt.Errorf("%s:%d: want `key :: verdict`", ledgerFile, n+1)
			}
			l.Verdict[key] = verdict
		}
	}
	return l, l.Inputs != "", nil
}

// writeLedger records a passing full run.
func writeLedger(run mutationRun, inputs string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# The last full mutation run of stage %d that passed, written by tools/kit mutate.\n", run.stage.Number)
	b.WriteString("# make test trusts it while the inputs hash matches (re-checking a sample of kills);\n")
	b.WriteString("# make mutate N=... runs every mutant again and rewrites it. Commit it with the change.\n")
	fmt.Fprintf(&b, "inputs %s\n", inputs)
	for _, m := range run.mutants {
		verdict := m.Reason
		if !m.Killed {
			verdict = "equivalent"
		}
		fmt.Fprintf(&b, "%s :: %s\n", m.Key, verdict)
	}
	return os.WriteFile(filepath.Join(run.stage.TestDir(), ledgerFile), []byte(b.String()), 0o644)
}

// fromLedger tries to settle a stage from its ledger: the mutant binary is
// built and a sample of the recorded kills is run again. It reports why it
// could not (the caller then runs the stage in full).
func fromLedger(s stage, l ledger, sch schemata, bin string, pool runPool) (mutationRun, string) {
	run := mutationRun{stage: s, mutants: sch.Mutants, fromLedger: true}
	var killed []*mutantInfo
	for i := range run.mutants {
		m := &run.mutants[i]
		verdict, ok := l.Verdict[m.Key]
		if !ok {
			return run, "the ledger does not know mutant " + m.Key
		}
		if verdict != "equivalent" {
			m.Killed, m.Reason = true, verdict
			if strings.HasPrefix(verdict, "killed by ") {
				killed = append(killed, m)
			}
		} else {
			m.Reason = "equivalent (ledger)"
		}
	}
	if len(l.Verdict) != len(run.mutants) {
		return run, fmt.Sprintf("the ledger has %d mutants, the generator makes %d", len(l.Verdict), len(run.mutants))
	}
	rand.Shuffle(len(killed), func(i, j int) { killed[i], killed[j] = killed[j], killed[i] })
	killed = killed[:min(ledgerSample(), len(killed))]
	started := time.Now()
	var mu sync.Mutex
	var lost []string
	var wg sync.WaitGroup
	for _, m := range killed {
		wg.Go(func() {
			pool.do(func() {
				if !killerStillFails(s, bin, m) {
					mu.Lock()
					lost = append(lost, m.Key+" ("+m.Reason+")")
					mu.Unlock()
				}
			})
		})
	}
	wg.Wait()
	run.took, run.sampled = time.Since(started), len(killed)
	if len(lost) > 0 {
		sort.Strings(lost)
		return run, "sampled kills that no longer fail: " + strings.Join(lost, "; ")
	}
	return run, ""
}

// killerStillFails runs the test the ledger names for m, with m switched on.
func killerStillFails(s stage, bin string, m *mutantInfo) bool {
	test, _, _ := strings.Cut(strings.TrimPrefix(m.Reason, "killed by "), "/") // -run matches a subtest by its parent
	out, err := runWithMutant(context.Background(), s, bin, m.ID, []string{test}, 2*time.Minute)
	if _, ok := err.(*exec.ExitError); !ok {
		return false // it did not run (or it passed): not a kill
	}
	return failLine.Match(out) || strings.Contains(string(out), "panic:") || strings.Contains(string(out), "test timed out")
}
