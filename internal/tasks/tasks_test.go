package tasks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const goodTasks = "# Stage 2 tasks: events\n" +
	"\n" +
	"Intro text that belongs to no task.\n" +
	"\n" +
	"## 2.1 State as a left fold\n" +
	"File: `replay.go`\n" +
	"\n" +
	"### Hint 1\n" +
	"The balance is a fold.\n" +
	"\n" +
	"### Hint 2\n" +
	"Write a type switch in `evolve`.\n" +
	"File: `not-a-file-line.go` is hint text here.\n" +
	"\n" +
	"### Hint 3\n" +
	"```go\n" +
	"switch e := event.(type) {\n" +
	"}\n" +
	"```\n" +
	"\n" +
	"## 2.2 A registry of event names\n" +
	"File: `registry.go`\n" +
	"\n" +
	"### Hint 1\n" +
	"one\n" +
	"### Hint 2\n" +
	"two\n" +
	"### Hint 3\n" +
	"three\n"

func writeTasks(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tasks.md")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	return path
}

func TestLoad(t *testing.T) {
	list, err := Load(writeTasks(t, goodTasks))
	require.NoError(t, err)
	require.Equal(t, []Task{
		{
			ID: "2.1", Title: "State as a left fold", File: "replay.go",
			Hints: []string{
				"The balance is a fold.",
				"Write a type switch in `evolve`.\nFile: `not-a-file-line.go` is hint text here.",
				"```go\nswitch e := event.(type) {\n}\n```",
			},
		},
		{ID: "2.2", Title: "A registry of event names", File: "registry.go", Hints: []string{"one", "two", "three"}},
	}, list)

	got, ok := Find(list, "2.2")
	require.True(t, ok)
	require.Equal(t, "registry.go", got.File)
	_, ok = Find(list, "2.3")
	require.False(t, ok)
}

func TestLoadCRLF(t *testing.T) {
	// A Windows checkout may turn line ends into CRLF; the file still reads the same.
	list, err := Load(writeTasks(t, strings.ReplaceAll(goodTasks, "\n", "\r\n")))
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, "replay.go", list[0].File)
	require.Equal(t, "State as a left fold", list[0].Title)
	require.Equal(t, "The balance is a fold.", list[0].Hints[0])
}

func TestLoadRejectsIncompleteTasks(t *testing.T) {
	tests := []struct {
		name, text, wantErr string
	}{
		{
			"two hints",
			"## 3.1 Do it\nFile: `a.go`\n\n### Hint 1\none\n### Hint 2\ntwo\n",
			"task 3.1 needs a File: line and exactly 3 hints (has 2)",
		},
		{
			"no File: line",
			"## 3.1 Do it\n\n### Hint 1\none\n### Hint 2\ntwo\n### Hint 3\nthree\n",
			"task 3.1 needs a File: line and exactly 3 hints (has 3)",
		},
		{
			"second task broken",
			strings.Replace(goodTasks, "### Hint 3\nthree\n", "", 1),
			"task 2.2 needs a File: line and exactly 3 hints (has 2)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTasks(t, tt.text)
			list, err := Load(path)
			require.EqualError(t, err, path+": "+tt.wantErr)
			require.Nil(t, list)
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "tasks.md"))
	require.ErrorIs(t, err, os.ErrNotExist)
}
