package main

import (
	"os"
	"path/filepath"
	"testing"
)

// fakeKit lays out the files a stage's inputs hash covers, in a temporary folder.
func fakeKit(t *testing.T) stage {
	t.Helper()
	t.Chdir(t.TempDir())
	for _, f := range []string{"solutions/01-crud/account.go", "stages/01-crud/account.go", "exercises_test/01-crud/api_test.go",
		"exercises_test/spec/rules.go", "internal/sqlitedb/db.go", "tools/kit/mutate_sites.go", "tools/kit/mutate_rewrite.go", "go.mod", "go.sum"} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("package x // "+f+"\n"), 0o644); err != nil {
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
	for _, f := range []string{"solutions/01-crud/account.go", "exercises_test/spec/rules.go", "tools/kit/mutate_sites.go", "go.sum"} {
		if err := os.WriteFile(f, []byte("package x // changed\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		after, _ := stageInputs(s)
		if after == before {
			t.Errorf("changing %s left the inputs hash as it was: a stale ledger would be trusted", f)
		}
		before = after
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
