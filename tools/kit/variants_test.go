package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

const goodVariant = `Append without the expected-version check: the events go at the end
of the stream, whatever version the caller read.
caught-by: Test2_3_AppendRefusesAStaleVersion Test2_3_OneOfTwoWins
caught-by: Test2_5_Another
file: store.go
--- find
	if current != expected {
		return errConflict
	}
--- replace
--- end
file: api.go
--- find
	return 412
--- replace
	return 200
	// file: not a directive inside a block
--- end
`

func writeVariant(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	return path
}

func TestParseVariantReadsAGoodFile(t *testing.T) {
	v, err := parseVariant(writeVariant(t, "append-at-the-end.txt", goodVariant))
	require.NoError(t, err)
	require.Equal(t, variant{
		Name: "append-at-the-end",
		Why: "Append without the expected-version check: the events go at the end\n" +
			"of the stream, whatever version the caller read.",
		CaughtBy: []string{"Test2_3_AppendRefusesAStaleVersion", "Test2_3_OneOfTwoWins", "Test2_5_Another"},
		Edits: []edit{
			{File: "store.go", Find: "\tif current != expected {\n\t\treturn errConflict\n\t}", Replace: ""},
			{File: "api.go", Find: "\treturn 412", Replace: "\treturn 200\n\t// file: not a directive inside a block"},
		},
	}, v)
}

func TestParseVariantRejectsIncompleteFiles(t *testing.T) {
	tests := []struct {
		name, text string
	}{
		{"missing caught-by", "Why it is wrong.\nfile: a.go\n--- find\nx\n--- replace\ny\n--- end\n"},
		{"unterminated replace block", "Why.\ncaught-by: Test1_1_X\nfile: a.go\n--- find\nx\n--- replace\ny\n"},
		{"unterminated find block", "Why.\ncaught-by: Test1_1_X\nfile: a.go\n--- find\nx\n"},
		{"no description", "caught-by: Test1_1_X\nfile: a.go\n--- find\nx\n--- replace\ny\n--- end\n"},
		{"no edit", "Why.\ncaught-by: Test1_1_X\nfile: a.go\n"},
		{"edit without a file", "Why.\ncaught-by: Test1_1_X\n--- find\nx\n--- replace\ny\n--- end\n"},
		{"edit with empty find", "Why.\ncaught-by: Test1_1_X\nfile: a.go\n--- find\n--- replace\ny\n--- end\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeVariant(t, "v.txt", tt.text)
			_, err := parseVariant(path)
			require.Error(t, err)
			require.Contains(t, err.Error(), path, "the error names the file")
		})
	}
}

func TestParseVariantMissingFile(t *testing.T) {
	_, err := parseVariant(filepath.Join(t.TempDir(), "nope.txt"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// inSolutionTree makes a temp kit folder with solutions/<slug>/<file> and moves into it:
// variant.apply reads solution files relative to the working directory.
func inSolutionTree(t *testing.T, s stage, files map[string]string) {
	t.Helper()
	root := t.TempDir()
	for name, text := range files {
		path := filepath.Join(root, "solutions", s.Slug, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	}
	t.Chdir(root)
}

func TestVariantApplyPatchesEveryEditOfAFile(t *testing.T) {
	s := stage{Number: 2, Slug: "02-events"}
	const store = "package bank\n\nfunc A() int { return 1 }\n\nfunc B() int { return 2 }\n"
	inSolutionTree(t, s, map[string]string{"store.go": store, "other.go": "package bank\n"})
	v := variant{Name: "wrong", Edits: []edit{
		{File: "store.go", Find: "return 1", Replace: "return 10"},
		{File: "store.go", Find: "return 2", Replace: "return 20"},
	}}
	out := t.TempDir()

	patched, err := v.apply(s, out)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"store.go": filepath.Join(out, s.Slug+"-wrong-store.go")}, patched)
	data, err := os.ReadFile(patched["store.go"])
	require.NoError(t, err)
	require.Equal(t, "package bank\n\nfunc A() int { return 10 }\n\nfunc B() int { return 20 }\n", string(data))

	// The solution itself is never touched.
	orig, err := os.ReadFile(filepath.Join("solutions", s.Slug, "store.go"))
	require.NoError(t, err)
	require.Equal(t, store, string(orig))
}

func TestVariantApplySeesItsOwnEarlierEdits(t *testing.T) {
	// The second edit finds text the first one wrote: edits apply in order to one text.
	s := stage{Number: 1, Slug: "01-crud"}
	inSolutionTree(t, s, map[string]string{"a.go": "package a // one\n"})
	v := variant{Name: "v", Edits: []edit{
		{File: "a.go", Find: "one", Replace: "two"},
		{File: "a.go", Find: "two", Replace: "three"},
	}}
	patched, err := v.apply(s, t.TempDir())
	require.NoError(t, err)
	data, err := os.ReadFile(patched["a.go"])
	require.NoError(t, err)
	require.Equal(t, "package a // three\n", string(data))
}

func TestVariantApplyNeedsTheFindTextExactlyOnce(t *testing.T) {
	s := stage{Number: 2, Slug: "02-events"}
	inSolutionTree(t, s, map[string]string{"store.go": "x := 1\ny := 1\n"})
	tests := []struct {
		name, find, wantErr string
	}{
		{"absent", "z := 1", "variant wrong: the find text occurs 0 times in store.go (want exactly once); did the solution change?"},
		{"twice", ":= 1", "variant wrong: the find text occurs 2 times in store.go (want exactly once); did the solution change?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			v := variant{Name: "wrong", Edits: []edit{{File: "store.go", Find: tt.find, Replace: "q"}}}
			_, err := v.apply(s, out)
			require.EqualError(t, err, tt.wantErr)
			entries, err := os.ReadDir(out)
			require.NoError(t, err)
			require.Empty(t, entries, "nothing is written when an edit does not apply")
		})
	}
}

func TestVariantApplyMissingSolutionFile(t *testing.T) {
	s := stage{Number: 2, Slug: "02-events"}
	inSolutionTree(t, s, map[string]string{"store.go": "package bank\n"})
	v := variant{Name: "wrong", Edits: []edit{{File: "gone.go", Find: "a", Replace: "b"}}}
	_, err := v.apply(s, t.TempDir())
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorContains(t, err, "variant wrong")
}
