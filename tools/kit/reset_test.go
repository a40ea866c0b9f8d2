package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// inKit makes a temp kit folder with the given files and moves into it. GIT_DIR
// points nowhere, so git never finds a repository around the temp folder.
func inKit(t *testing.T, files map[string]string) {
	t.Helper()
	root := t.TempDir()
	for name, text := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	}
	t.Chdir(root)
	t.Setenv("GIT_DIR", filepath.Join(root, "no-git"))
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

var stage1 = stage{Number: 1, Slug: "01-crud"}

func TestStagesComeFromWhatLearnersHave(t *testing.T) {
	inKit(t, map[string]string{
		"stages/01-crud/a.go":               "package bank\n",
		"exercises_test/02-events/tasks.md": "",
		"exercises_test/spec/spec.go":       "package spec\n",
	})
	list, err := stages()
	require.NoError(t, err)
	require.Equal(t, []stage{stage1, {Number: 2, Slug: "02-events"}}, list)
	require.False(t, stage1.hasSolution())

	t.Chdir(t.TempDir())
	_, err = stages()
	require.ErrorContains(t, err, "no stages here")
}

func TestResetFromThePristineCopy(t *testing.T) {
	pristine := pristineCopy(map[string]map[string][]byte{"01-crud": {"a.go": []byte("package bank\n"), "cmd/server/main.go": []byte("package main\n")}})
	files := map[string]string{
		"stages/01-crud/a.go":             "package bank // mine\n",
		"stages/01-crud/extra.go":         "package bank\n",
		"exercises_test/01-crud/tasks.md": "",
	}
	for rel, data := range pristine {
		files[pristineDir+"/"+rel] = string(data)
	}
	inKit(t, files)
	require.NoError(t, runReset([]string{"1"}))
	require.Equal(t, "package bank\n", readFile(t, "stages/01-crud/a.go"))
	require.Equal(t, "package main\n", readFile(t, "stages/01-crud/cmd/server/main.go"))
	require.NoFileExists(t, "stages/01-crud/extra.go")
	backups, _ := filepath.Glob(".data/backup/01-crud-*")
	require.Len(t, backups, 1)
	require.Equal(t, "package bank // mine\n", readFile(t, filepath.Join(backups[0], "a.go")))
	leftovers, _ := filepath.Glob("stages/.*")
	require.Empty(t, leftovers, "the temp folder is gone")

	// A deleted stage comes back; a second reset in the same second keeps its own backup.
	require.NoError(t, os.RemoveAll("stages/01-crud"))
	require.NoError(t, runReset([]string{"1"}))
	require.Equal(t, "package bank\n", readFile(t, "stages/01-crud/a.go"))
	require.NoError(t, runReset([]string{"1"}))
	backups, _ = filepath.Glob(".data/backup/01-crud-*")
	require.Len(t, backups, 2)
}

func TestPristineCopyThatWasChangedIsNotUsed(t *testing.T) {
	all := pristineCopy(map[string]map[string][]byte{"01-crud": {"a.go": []byte("package bank\n")}})
	files, err := pristineFiles(all, stage1)
	require.NoError(t, err)
	require.Equal(t, map[string][]byte{"a.go": []byte("package bank\n")}, files)

	all["01-crud/a.go"] = []byte("package bank // changed\n")
	_, err = pristineFiles(all, stage1)
	require.ErrorContains(t, err, "01-crud/a.go was changed")
	delete(all, "01-crud/a.go")
	_, err = pristineFiles(all, stage1)
	require.ErrorContains(t, err, "01-crud/a.go is missing")
	_, err = pristineFiles(all, stage{Number: 2, Slug: "02-events"})
	require.ErrorContains(t, err, "lists no files of 02-events")
}

func TestResetWithoutASourceChangesNothing(t *testing.T) {
	inKit(t, map[string]string{"stages/01-crud/a.go": "package bank // mine\n"})
	err := runReset([]string{"1"})
	require.ErrorContains(t, err, "no pristine starter for 01-crud found, so nothing was changed")
	require.Equal(t, "package bank // mine\n", readFile(t, "stages/01-crud/a.go"))
}

func TestReplaceStarterIsAllOrNothing(t *testing.T) {
	inKit(t, map[string]string{"stages/01-crud/a.go": "package bank // mine\n"})
	// "a" cannot be a file and a folder at once: writing fails half way.
	err := replaceStarter(stage1, map[string][]byte{"a": []byte("x"), "a/b.go": []byte("y"), "c.go": []byte("z")})
	require.ErrorContains(t, err, "stages/01-crud is unchanged")
	require.Equal(t, "package bank // mine\n", readFile(t, "stages/01-crud/a.go"))
	entries, err := os.ReadDir("stages")
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temp folder is left behind")
}

func TestResetFromGitWhenSolutionsWereDeleted(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	inKit(t, map[string]string{
		"solutions/01-crud/README.md": "# Stage 1\n",
		"solutions/01-crud/a.go":      "package bank\n\nfunc A() int { return 1 }\n",
		"stages/01-crud/a.go":         "package bank // mine\n",
	})
	os.Unsetenv("GIT_DIR") // t.Setenv restores it
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "kit"}} {
		out, err := exec.Command("git", args...).CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	require.NoError(t, os.RemoveAll("solutions"))

	files, from, err := pristineStarter(stage1)
	require.NoError(t, err)
	require.Equal(t, "git HEAD:solutions/01-crud", from)
	require.Equal(t, "package bank\n\nfunc A() int { return 1 }\n", string(files["a.go"]))
	require.ErrorContains(t, errNoSolution(stage1, "make compare-stage1"), "git checkout HEAD -- solutions")
}
