package mutant

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOnlyTheActiveMutantIsOn(t *testing.T) {
	active = 3
	defer func() { active = 0 }()
	if On(2) || !On(3) {
		t.Fatal("On: only mutant 3 is on")
	}
	orig, alt1, alt2 := func() int { return 0 }, func() int { return 1 }, func() int { return 2 }
	// Site id's alternatives are mutants id, id+1: with mutant 3 on, site 2 takes
	// its second alternative, site 3 its first, and sites 1 and 4 their original.
	for id, want := range map[int]int{1: 0, 2: 2, 3: 1, 4: 0} {
		if got := Val(id, orig, alt1, alt2); got != want {
			t.Errorf("Val(%d) = %d, want %d", id, got, want)
		}
	}
	if Str(3, "a", "b") != "b" || Str(4, "a", "b") != "a" {
		t.Error("Str: the active alternative, else the original")
	}
}

func TestTraceRecordsEachReachedIDOnce(t *testing.T) {
	tracePath = filepath.Join(t.TempDir(), "trace")
	defer func() { tracePath = "" }()
	On(5)
	On(5)
	Bool(7, func() bool { return true }, func() bool { return false }, func() bool { return false })
	data, err := os.ReadFile(tracePath)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(data)); strings.Join(got, " ") != "5 7 8" {
		t.Errorf("trace = %v, want 5 7 8", got)
	}
}
