package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestLearnerEdition writes the learner edition from this kit into a temp folder and
// runs there, through make, what a learner runs: setup's build step (offline, from
// the module cache), a stage's tests, status, a hint, a reset, and the commands that
// need the solutions the edition leaves out.
func TestLearnerEdition(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the learner edition and runs make in it")
	}
	for _, tool := range []string{"make", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	start := time.Now()
	t.Chdir(filepath.Join("..", "..")) // the kit's top folder
	dir := filepath.Join(t.TempDir(), "es-workshop-learner")
	require.NoError(t, runEdition([]string{"-url", "https://example.com/es-workshop.git", dir}))

	// make runs the edition's own Makefile, offline. MAKEFLAGS from a make test above
	// us would hand the child make a job server it cannot use.
	mk := func(t *testing.T, args ...string) (string, error) {
		t.Helper()
		cmd := exec.Command("make", append([]string{"--no-print-directory"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOPROXY=off", "MAKEFLAGS=", "MAKELEVEL=", "MFLAGS=")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	mustFail := func(t *testing.T, args ...string) string {
		t.Helper()
		out, err := mk(t, args...)
		require.Error(t, err, "make %s must exit non-zero; it printed:\n%s", strings.Join(args, " "), out)
		return out
	}
	mustPass := func(t *testing.T, args ...string) string {
		t.Helper()
		out, err := mk(t, args...)
		require.NoError(t, err, "make %s:\n%s", strings.Join(args, " "), out)
		return out
	}
	git := func(t *testing.T, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %s:\n%s", strings.Join(args, " "), out)
		return string(out)
	}

	t.Run("a git repository with one commit, without the answers", func(t *testing.T) {
		require.Equal(t, "1", strings.TrimSpace(git(t, "rev-list", "--count", "HEAD")))
		require.Empty(t, git(t, "status", "--porcelain"), "everything is committed")
		files := strings.Split(strings.TrimSpace(git(t, "ls-files")), "\n")
		for _, f := range files {
			require.False(t, strings.HasPrefix(f, "solutions/") || strings.Contains(f, "/known-wrong/") ||
				strings.HasPrefix(f, "tools/bench/") || strings.HasPrefix(f, ".ci/") || strings.HasPrefix(f, ".data/"),
				"%s must not be in the learner edition", f)
		}
		for _, f := range files {
			if isDeck(f) {
				deck, err := os.ReadFile(filepath.Join(dir, f))
				require.NoError(t, err)
				require.NotContains(t, string(deck), "## Solution", "%s: the edition's deck stops at the tasks", f)
				require.NotRegexp(t, `<!--\s*\n`, string(deck), "%s: the edition's deck has no speaker notes", f)
			}
		}
		for _, f := range []string{"Makefile", "README.md", "go.mod", "stages/01-crud/balance_updates.go",
			"exercises_test/01-crud/tasks.md", "tools/kit/main.go", ".kit/starters/SHA256SUMS", editionInfo} {
			require.Contains(t, files, f)
		}
	})

	t.Run("setup's build step, offline", func(t *testing.T) {
		out := mustPass(t, "setup-build")
		require.Contains(t, out, "setup done")
	})

	t.Run("test-stage1 fails with the task failures", func(t *testing.T) {
		out := mustFail(t, "test-stage1")
		require.Contains(t, out, "Task 1.1")
		require.Contains(t, out, "make hint TASK=1.1")
		require.Contains(t, out, "Next: task 1.1")
	})

	t.Run("status", func(t *testing.T) {
		out := mustPass(t, "status")
		for _, slug := range []string{"01-crud", "02-events"} {
			require.Contains(t, out, slug)
		}
		require.Contains(t, out, "0/2 done")
	})

	t.Run("hint", func(t *testing.T) {
		out := mustPass(t, "hint", "TASK=1.1")
		require.Contains(t, out, "Task 1.1")
		require.Contains(t, out, "make hint TASK=1.1 LEVEL=2")
		out = mustPass(t, "hint", "TASK=1.1", "LEVEL=3")
		require.NotContains(t, out, "solutions/", "the last hint points at no solution folder the edition lacks")
		mustFail(t, "hint", "TASK=9.9")
	})

	starterFile := filepath.Join(dir, "stages", "01-crud", "balance_updates.go")
	pristine, err := os.ReadFile(starterFile)
	require.NoError(t, err)
	spoil := func(t *testing.T, path string) {
		t.Helper()
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		require.NoError(t, err)
		_, err = f.WriteString("\n// the learner's own work\n")
		require.NoError(t, err)
		require.NoError(t, f.Close())
	}
	backups := func(t *testing.T) []string {
		t.Helper()
		found, err := filepath.Glob(filepath.Join(dir, ".data", "backup", "01-crud-*", "balance_updates.go"))
		require.NoError(t, err)
		return found
	}

	t.Run("reset-stage1 restores the starter and keeps a backup", func(t *testing.T) {
		spoil(t, starterFile)
		out := mustPass(t, "reset-stage1")
		require.Contains(t, out, "from "+pristineDir)
		got, err := os.ReadFile(starterFile)
		require.NoError(t, err)
		require.Equal(t, string(pristine), string(got))
		found := backups(t)
		require.Len(t, found, 1, out)
		kept, err := os.ReadFile(found[0])
		require.NoError(t, err)
		require.Contains(t, string(kept), "the learner's own work")
		require.Empty(t, git(t, "status", "--porcelain"), "git diff shows nothing after a reset")
	})

	t.Run("reset-stage1 falls back to git when .kit/starters was changed", func(t *testing.T) {
		spoil(t, starterFile)
		spoil(t, filepath.Join(dir, pristineDir, "01-crud", "balance_updates.go"))
		out := mustPass(t, "reset-stage1")
		require.Contains(t, out, "from git HEAD:"+pristineDir)
		got, err := os.ReadFile(starterFile)
		require.NoError(t, err)
		require.Equal(t, string(pristine), string(got))
		require.Len(t, backups(t), 2)
		git(t, "checkout", "--", pristineDir)
	})

	t.Run("the solutions' commands say plainly that they are absent", func(t *testing.T) {
		for _, args := range [][]string{{"compare-stage1"}, {"diff-stage2"}, {"run-stage1", "SOLUTION=1"}} {
			out := mustFail(t, args...)
			require.Contains(t, out, "this folder has no solutions", args)
			require.Contains(t, out, "git clone https://example.com/es-workshop.git", args)
		}
		for _, target := range []string{"test", "verify", "gen", "check-stages", "bench", "learner-edition"} {
			out := mustFail(t, target)
			require.Contains(t, out, "make "+target+" needs solutions/")
		}
	})

	t.Run("doctor", func(t *testing.T) {
		out, _ := mk(t, "doctor") // port 8080 may be taken on a CI machine
		require.Contains(t, out, "ok   starters (reset)     make reset-stageN restores from "+pristineDir, out)
	})

	t.Run("the README is true for the edition", func(t *testing.T) {
		readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
		require.NoError(t, err)
		makefile, err := os.ReadFile(filepath.Join(dir, "Makefile"))
		require.NoError(t, err)
		require.Empty(t, editionREADMEProblems(string(readme), string(makefile), mustPass(t, "help")))
	})
	t.Logf("the learner edition, built and tried, in %s", time.Since(start).Round(100*time.Millisecond))
}

// editionREADMEProblems lists where the edition's README names a make command that
// is not a target of its Makefile, or one that needs solutions/ without saying that
// it is the full kit's, or sends the learner to solutions/ or SOLUTION=1.
func editionREADMEProblems(readme, makefile, help string) []string {
	var targets []string
	for _, line := range strings.Split(help, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			targets = append(targets, f[0])
		}
	}
	needSolutions := []string{"demo"} // the kit says so; the Makefile's guard says so for these:
	for _, m := range regexp.MustCompile(`(?m)^([a-z-]+): maintainer-only`).FindAllStringSubmatch(makefile, -1) {
		needSolutions = append(needSolutions, m[1])
		targets = append(targets, m[1]) // a target still, though the edition's make help leaves it out
	}
	stageN := regexp.MustCompile(`stage(\d+|N)$`)
	// a command: at the start of a line (a code block) or of code (`make ...`, `VAR=x make ...`)
	command := regexp.MustCompile("(?:^|`|[A-Z_]+=\\S+ )make ([a-z][a-zA-Z0-9-]*)")
	var problems []string
	for i, line := range strings.Split(readme, "\n") {
		for _, bad := range []string{"solutions/", "SOLUTION=1"} {
			if strings.Contains(line, bad) {
				problems = append(problems, fmt.Sprintf("README.md:%d: %s", i+1, bad))
			}
		}
		for _, m := range command.FindAllStringSubmatch(line, -1) {
			target := stageN.ReplaceAllString(m[1], "stageN")
			switch {
			case !slices.Contains(targets, target):
				problems = append(problems, fmt.Sprintf("README.md:%d: make %s is not a target", i+1, m[1]))
			case slices.Contains(needSolutions, target) && !strings.Contains(line, "full kit"):
				problems = append(problems, fmt.Sprintf("README.md:%d: make %s needs the solutions", i+1, m[1]))
			}
		}
	}
	return problems
}

func TestEditionREADMEProblems(t *testing.T) {
	makefile := "test: maintainer-only check\n\ttrue\n"
	help := "test            everything\ntest-stageN     a stage\ndemo            the demo\n"
	good := "```sh\nmake test-stage1\n```\nThe tests you make pass. `CGO_ENABLED=0 make test-stageN`.\nThe full kit's `make test` checks it.\n"
	require.Empty(t, editionREADMEProblems(good, makefile, help))
	bad := "`make test` checks the kit.\nmake demo\n`make status`\nsee solutions/01-crud\n`make run-stage1 SOLUTION=1`\n"
	require.Equal(t, []string{
		"README.md:1: make test needs the solutions",
		"README.md:2: make demo needs the solutions",
		"README.md:3: make status is not a target",
		"README.md:4: solutions/",
		"README.md:5: SOLUTION=1",
		"README.md:5: make run-stage1 is not a target",
	}, editionREADMEProblems(bad, makefile, help))
}

func TestLearnerREADME(t *testing.T) {
	src := "intro\n<!-- full-kit -->\nkit only\n<!-- /full-kit -->\n<!-- learner-edition\nlearner only\n-->\n  <!-- full-kit -->\n  indented\n  <!-- /full-kit -->\nend\n"
	got, err := learnerREADME([]byte(src))
	require.NoError(t, err)
	require.Equal(t, "intro\nlearner only\nend\n", string(got))

	for _, bad := range []string{
		"<!-- full-kit -->\nnever closed\n",
		"<!-- learner-edition\nnever closed\n",
		"<!-- /full-kit -->\n",
		"<!-- full-kit -->\n<!-- learner-edition\n-->\n<!-- /full-kit -->\n",
	} {
		_, err := learnerREADME([]byte(bad))
		require.Error(t, err, bad)
	}
}

func TestTheKitREADMEMakesALearnerREADME(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	_, err = learnerREADME(readme)
	require.NoError(t, err)
}

func TestLeftOutOfEdition(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{
		"exercises_test/01-crud/tasks.md", "exercises_test/01-crud/known-wrong/no-check.txt",
		"exercises_test/01-crud/mutants-ledger.txt", "exercises_test/01-crud/mutants-equivalent.txt",
		"tools/kit/main.go", "tools/kit/cut_test.go", "tools/slides/node_modules/x/index.js",
		"slides/01-crud.md", "slides/out/01-crud.html", "slides/.DS_Store", "internal/web/web_test.go",
	} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, filepath.Dir(f)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, f), nil, 0o644))
	}
	t.Chdir(root)
	var kept []string
	for _, r := range []string{"exercises_test", "tools/kit", "tools/slides", "slides", "internal"} {
		require.NoError(t, filepath.WalkDir(r, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if leftOutOfEdition(filepath.ToSlash(p), d) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() {
				kept = append(kept, filepath.ToSlash(p))
			}
			return nil
		}))
	}
	slices.Sort(kept)
	require.Equal(t, []string{"exercises_test/01-crud/tasks.md", "internal/web/web_test.go", "slides/01-crud.md", "tools/kit/main.go"}, kept)
}

func TestLearnerDeckStopsAtTheTasksWithoutNotes(t *testing.T) {
	deck := "---\nmarp: true\n---\n\n<!-- _class: lead -->\n<!-- _paginate: false -->\n\n# Stage 9\n\n<!--\nTiming: slides 1 min.\n-->\n" +
		"\n---\n\n## A slide\n\nText. <!-- a note: the answer is 42 -->\n\n```go\nx := 1\n```\n" +
		"\n---\n\n<!-- _class: lead stop -->\n\n# Stop: tasks first\n\nDo task 9.1 now.\n\nThe next slides show the solutions.\n\n<!--\n9.1: return 42.\n-->\n" +
		"\n---\n\n## Solution 9.1\n\n```go\nreturn 42\n```\n"
	want := "---\nmarp: true\n---\n\n<!-- _class: lead -->\n<!-- _paginate: false -->\n\n# Stage 9\n\n" +
		"---\n\n## A slide\n\nText. \n\n```go\nx := 1\n```\n" +
		"\n---\n\n<!-- _class: lead stop -->\n\n# Stop: tasks first\n\nDo task 9.1 now.\n\nYour presenter walks through the solutions after the tasks.\n"
	require.Equal(t, want, string(learnerDeck([]byte(deck))))
	require.True(t, isDeck("slides/07-upcasting.md"))
	require.False(t, isDeck("slides/README.md"))
	require.False(t, isDeck("slides/theme/07-x.md"))
}

func TestIsLocalPathTellsAFolderFromAnAddress(t *testing.T) {
	for remote, local := range map[string]bool{
		"/work/main": true, "../kit": true, "~/kit": true, "kit": true,
		"https://github.com/x/kit.git": false, "ssh://git@host/kit": false, "git@github.com:x/kit.git": false, "": false,
	} {
		require.Equal(t, local, isLocalPath(remote), remote)
	}
}
