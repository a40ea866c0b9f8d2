package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLastFuzzReportSumsUpGosLastProgressLine(t *testing.T) {
	out := "fuzz: elapsed: 0s, gathering baseline coverage: 0/15 completed\n" +
		"fuzz: elapsed: 3s, execs: 28666 (9554/sec), new interesting: 15 (total: 30)\n" +
		"fuzz: elapsed: 6s, execs: 51885 (13033/sec), new interesting: 55 (total: 70)\nPASS\n"
	require.Equal(t, "51885 execs, 55 new inputs kept", lastFuzzReport(out))
	require.Equal(t, "", lastFuzzReport("ok  \tpkg\t0.01s\n"), "no progress line: nothing to report")
}

func TestFuzzTargetsAreTheGuardFuzzFunctions(t *testing.T) {
	src := []byte("func FuzzGuard_Decoding(f *testing.F) {\n}\nfunc FuzzOther(f *testing.F) {}\n// func FuzzGuard_Commented(f *testing.F)\n")
	var names []string
	for _, m := range fuzzTarget.FindAllSubmatch(src, -1) {
		names = append(names, string(m[1]))
	}
	require.Equal(t, []string{"FuzzGuard_Decoding"}, names)
}
