package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeKit lays out the files a stage's inputs hash covers, in a temporary
// folder: a module of its own, so that go list can tell what the stage imports.
func fakeKit(t *testing.T) stage {
	t.Helper()
	t.Chdir(t.TempDir())
	imports := `import _ "` + modulePath + `/internal/sqlitedb"` + "\n"
	for f, text := range map[string]string{
		"go.mod":                             "module " + modulePath + "\n\ngo 1.22\n",
		"go.sum":                             "",
		"solutions/01-crud/account.go":       "package bank\n" + imports,
		"stages/01-crud/account.go":          "package bank\n" + imports,
		"exercises_test/01-crud/api_test.go": "package bank_test\n",
		"exercises_test/spec/rules.go":       "package spec\n",
		"internal/sqlitedb/db.go":            "package sqlitedb\n",
		"internal/mutant/mutant.go":          "package mutant\n",
		"internal/dashboard/dashboard.go":    "package dashboard // imported by no stage here\n",
		"solutions/01-crud/README.md":        "# Stage 1\n",
		"stages/01-crud/README.md":           "# Stage 1\n",
		"tools/kit/mutate_sites.go":          "package main\n",
		"tools/kit/mutate_rewrite.go":        "package main\n",
	} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return stage{Number: 1, Slug: "01-crud"}
}

func TestStageInputsChangeWithEveryInputButTheLedger(t *testing.T) {
	s := fakeKit(t)
	before, err := stageInputs(s)
	if err != nil {
		t.Fatal(err)
	}
	run := mutationRun{stage: s, mutants: []mutantInfo{{Key: "a", Killed: true, Reason: "killed by TestA"}, {Key: "b"}}}
	if err := writeLedger(run, before); err != nil {
		t.Fatal(err)
	}
	if after, _ := stageInputs(s); after != before {
		t.Fatal("writing the ledger changed the inputs hash: a ledger could never match")
	}
	for _, f := range []string{"solutions/01-crud/account.go", "exercises_test/spec/rules.go", "internal/sqlitedb/db.go",
		"internal/mutant/mutant.go", "tools/kit/mutate_sites.go", "go.sum"} {
		appendComment(t, f)
		after, err := stageInputs(s)
		if err != nil {
			t.Fatal(err)
		}
		if after == before {
			t.Errorf("changing %s left the inputs hash as it was: a stale ledger would be trusted", f)
		}
		before = after
	}
	appendComment(t, "internal/dashboard/dashboard.go")
	for _, asset := range []string{"internal/sqlitedb/assets/app.css", "internal/sqlitedb/assets/app.js"} {
		if err := os.MkdirAll(filepath.Dir(asset), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(asset, []byte("/* a new colour */\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	appendComment(t, "solutions/01-crud/README.md")
	appendComment(t, "stages/01-crud/README.md")
	if after, _ := stageInputs(s); after != before {
		t.Error("changing a package the stage does not import, a style sheet or script a package serves, or its README, changed its inputs hash: its ledger would be run again for nothing")
	}
}

// appendComment changes a file and leaves it valid Go (or a valid go.sum).
func appendComment(t *testing.T, path string) {
	t.Helper()
	text := "// changed\n"
	if filepath.Base(path) == "go.sum" {
		text = "example.com/x v1.0.0 h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

func TestALedgerReadsBackAsWritten(t *testing.T) {
	s := fakeKit(t)
	run := mutationRun{stage: s, mutants: []mutantInfo{
		{Key: "account.go|Withdraw|< → <=|0", Killed: true, Reason: "killed by Test1_2_X/sub"},
		{Key: "account.go|Withdraw|drop|0", Killed: true, Reason: "killed: the tests hang"},
		{Key: "account.go|Open|drop|1"},
	}}
	if err := writeLedger(run, "abc"); err != nil {
		t.Fatal(err)
	}
	l, ok, err := readLedger(s)
	if err != nil || !ok {
		t.Fatalf("readLedger: ok=%v err=%v", ok, err)
	}
	want := map[string]string{
		"account.go|Withdraw|< → <=|0": "killed by Test1_2_X/sub",
		"account.go|Withdraw|drop|0":   "killed: the tests hang",
		"account.go|Open|drop|1":       "equivalent",
	}
	if l.Inputs != "abc" || len(l.Verdict) != len(want) {
		t.Fatalf("read back %+v", l)
	}
	for k, v := range want {
		if l.Verdict[k] != v {
			t.Errorf("%s: read %q, wrote %q", k, l.Verdict[k], v)
		}
	}
}

func TestStageInputsCoverTheInternalPackagesAStageImports(t *testing.T) {
	kitRoot(t)
	s, err := selectStages([]string{"1"})
	require.NoError(t, err)
	dirs, err := internalDeps(s[0])
	require.NoError(t, err)
	for _, want := range []string{"internal/web", "internal/sqlitedb", "internal/exercise", "internal/mutant"} {
		require.Contains(t, dirs, filepath.FromSlash(want))
	}
	for _, d := range dirs {
		require.DirExists(t, d)
	}
}

func TestNoStageTestReadsAStageREADME(t *testing.T) {
	// stageInputs leaves the stages' READMEs out of the hash: true only while no
	// test reads them.
	kitRoot(t)
	files, err := filepath.Glob("exercises_test/*/*.go")
	require.NoError(t, err)
	spec, err := filepath.Glob("exercises_test/spec/*.go")
	require.NoError(t, err)
	helpers, err := filepath.Glob("internal/exercise/*.go")
	require.NoError(t, err)
	for _, f := range append(append(files, spec...), helpers...) {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NotContains(t, string(data), "README", "%s reads a README: stageInputs must hash the READMEs again", f)
	}
}
