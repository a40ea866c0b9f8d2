package main

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"slices"
	"strings"
	"testing"
)

const sample = `package bank

import (
	"errors"
	"time"
)

const limit = 10 + 5

var errTooMuch = errors.New("too much")

func withdraw(balance, amount int64) (int64, error) {
	if balance-amount < -limit {
		return 0, errTooMuch
	}
	balance -= amount
	return balance, nil
}

func stamp() string { return time.Now().UTC().Format(time.RFC3339) }

func query() string { return ` + "`SELECT x FROM t WHERE a > ? AND b = ? ORDER BY version`" + ` }
`

// sampleSites type-checks the sample and collects its sites.
func sampleSites(t *testing.T) (*siteFinder, []mutantInfo) {
	t.Helper()
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "sample.go", sample, 0)
	if err != nil {
		t.Fatal(err)
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
	pkg, err := (&types.Config{Importer: importer.Default()}).Check("bank", fset, []*ast.File{file}, info)
	if err != nil {
		t.Fatal(err)
	}
	f := &siteFinder{fset: fset, info: info, pkg: pkg, file: file, src: []byte(sample), name: "sample.go"}
	f.walkFile()
	sortSites(f.sites)
	var ms []mutantInfo
	for _, s := range f.sites {
		ms = append(ms, s.alts...)
	}
	return f, ms
}

func TestSitesCoverTheOperatorsOfTheIssue(t *testing.T) {
	_, ms := sampleSites(t)
	var changes []string
	for _, m := range ms {
		changes = append(changes, m.Func+": "+m.Change)
	}
	for _, want := range []string{
		"withdraw: returns at once with no error",
		"withdraw: if balance-amount < -limit: always false",
		"withdraw: balance-amount < -limit: < → <=",
		"withdraw: balance-amount < -limit: < → >=",
		"withdraw: balance-amount: - → +",
		"withdraw: balance -= amount: left out",
		"withdraw: balance -= amount: -= → +=",
		"stamp: time.Now().UTC(): .UTC() left out",
		"query: SQL ORDER BY version → DESC",
		`query: SQL "a > ?" → "a >= ?"`,
		`query: SQL "? AND b" → "? OR b"`,
	} {
		if !slices.Contains(changes, want) {
			t.Errorf("no mutant %q among:\n  %s", want, strings.Join(changes, "\n  "))
		}
	}
	for _, c := range changes {
		if strings.Contains(c, "10 + 5") || strings.Contains(c, "too much") {
			t.Errorf("a constant or a message was mutated: %s", c)
		}
	}
}

func TestTheRewrittenFileParsesAndSwitchesEveryMutant(t *testing.T) {
	f, ms := sampleSites(t)
	ids := make([]int, len(f.sites))
	next := 1
	for i, s := range f.sites {
		ids[i] = next
		next += len(s.alts)
	}
	out, err := rewriteFile(f, ids)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	text := string(out)
	if !strings.Contains(text, `kitmutant "github.com/go-es-workshop/kit/internal/mutant"`) {
		t.Error("the rewritten file does not import the switchboard")
	}
	if n := strings.Count(text, "kitmutant."); n < len(f.sites) {
		t.Errorf("%d switches for %d sites:\n%s", n, len(f.sites), text)
	}
	if len(ms) != next-1 {
		t.Errorf("%d mutants, ids up to %d", len(ms), next-1)
	}
}

func TestKeysAreUniqueAndStable(t *testing.T) {
	ms := []mutantInfo{
		{File: "a.go", Func: "f", Change: "x: always false"},
		{File: "a.go", Func: "f", Change: "x: always false"},
		{File: "a.go", Func: "g", Change: "x: always false"},
	}
	setKeys(ms)
	want := []string{"a.go | f | x: always false", "a.go | f | x: always false | #2", "a.go | g | x: always false"}
	for i := range ms {
		if ms[i].Key != want[i] {
			t.Errorf("key %d = %q, want %q", i, ms[i].Key, want[i])
		}
	}
}

func TestLastKillerIsReadFromTheVerdict(t *testing.T) {
	for verdict, want := range map[string]string{
		"killed by TestC":                     "TestC",
		"killed by TestB/subtest":             "TestB",
		"killed: the tests hang (in TestH)":   "TestH",
		"killed: the tests hang (in TestH/s)": "TestH",
		"killed: the tests hang":              "",
		"killed: the test binary failed":      "",
		"equivalent":                          "",
		"":                                    "",
	} {
		if got := lastKiller(verdict); got != want {
			t.Errorf("lastKiller(%q) = %q, want %q", verdict, got, want)
		}
	}
}

func TestAHungTestIsNamed(t *testing.T) {
	out := "panic: test timed out after 7s\n\trunning tests:\n\t\tTestGuard_X (7s)\n\ngoroutine 1 [running]:\n"
	m := hungTest.FindStringSubmatch(out)
	if m == nil || m[1] != "TestGuard_X" {
		t.Fatalf("hungTest on go test's timeout panic: %q", m)
	}
}
