package main

import (
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A machine where everything is in place: the line names each fact once.
var readyFindings = []finding{
	{ok: true, detail: "go1.26.0"},
	{true, "mattn/go-sqlite3 via cgo (/usr/bin/gcc found); -race available", "sqlite: cgo (mattn/go-sqlite3)"},
	{true, "all modules are in the module cache; no network needed", "modules cached"},
	{true, "127.0.0.1:8080 is free", "port 8080 free"},
	{ok: true, detail: "found"},
	{ok: true, detail: "make reset-stageN restores from /home/ada/es-workshop/solutions"},
	{true, "12 GB free", "12 GB free"},
}

func TestDoctorSummaryLine(t *testing.T) {
	const platform, version = "go1.26.0 linux/amd64", "kit 5235175"
	fail := func(i int, summary string) []finding {
		found := append([]finding(nil), readyFindings...)
		found[i] = finding{detail: "/home/ada/es-workshop: " + summary, summary: summary}
		return found
	}
	for _, tc := range []struct {
		name  string
		found []finding
		want  string
	}{
		{"ready", readyFindings,
			"doctor: ready · go1.26.0 linux/amd64 · sqlite: cgo (mattn/go-sqlite3) · modules cached · port 8080 free · 12 GB free · kit 5235175"},
		{"one problem", fail(3, "port 8080 taken: stop the other server, or use ARGS='-addr 127.0.0.1:8081'"),
			"doctor: NOT ready · port 8080 taken: stop the other server, or use ARGS='-addr 127.0.0.1:8081' · go1.26.0 linux/amd64 · kit 5235175"},
		{"the first problem first", append(fail(2, "Go modules not downloaded: run make setup while online"),
			finding{detail: "0.4 GB free", summary: "0.4 GB free: about 1 GB is needed"}),
			"doctor: NOT ready · Go modules not downloaded: run make setup while online · 1 more problem on screen · go1.26.0 linux/amd64 · kit 5235175"},
		{"a problem without words of its own", []finding{{detail: "something"}, {detail: "else"}, {detail: "too"}},
			"doctor: NOT ready · a check failed · 2 more problems on screen · go1.26.0 linux/amd64 · kit 5235175"},
		{"always one line", fail(1, "two\nlines"),
			"doctor: NOT ready · two lines · go1.26.0 linux/amd64 · kit 5235175"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := summaryLine(tc.found, platform, version)
			require.Equal(t, tc.want, got)
			require.NotContains(t, got, "/home/ada", "the details stay on the screen")
		})
	}
}

// The line this machine gets: one line, in the documented shape, and nothing in it
// that names this machine, its user or its folders.
func TestDoctorSummaryLineOnThisMachine(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	t.Chdir(root)
	var found []finding
	for _, c := range doctorChecks {
		found = append(found, c.run())
	}
	line := summaryLine(found, platform(), kitVersion())
	t.Log(line)

	shape := regexp.MustCompile(`^doctor: (` +
		`ready · go\S+ [a-z0-9]+/[a-z0-9]+ · sqlite: (cgo \(mattn/go-sqlite3\)|pure Go \(modernc\.org/sqlite\)) · modules cached · port 8080 free · (\d+ GB free|disk not measured)` +
		`|NOT ready · [^·]+( · \d+ more problems? on screen)? · go\S+ [a-z0-9]+/[a-z0-9]+` +
		`) · kit ([0-9a-f]{7}|[0-9a-f]{7} \(learner edition\)|version unknown \(no git\))$`)
	require.Regexp(t, shape, line)

	secrets := []string{root, os.TempDir()}
	if home, err := os.UserHomeDir(); err == nil && home != "/" {
		secrets = append(secrets, home)
	}
	if host, err := os.Hostname(); err == nil {
		secrets = append(secrets, host)
	}
	if u, err := user.Current(); err == nil {
		secrets = append(secrets, u.Username)
	}
	for _, s := range secrets {
		if len(s) >= 3 { // "root" is a user name; "go" would match go1.26
			require.NotContains(t, strings.ToLower(line), strings.ToLower(s))
		}
	}
	require.Equal(t, runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH, platform())
}

func TestKitVersionOfALearnerEdition(t *testing.T) {
	inKit(t, map[string]string{editionInfo: "# the learner edition\nfull-kit: https://example.com/kit.git\nmade-from: 5235175c0ffee0123456789abcdef0123456789a (with uncommitted changes)\n"})
	require.Equal(t, "kit 5235175 (learner edition)", kitVersion())
	require.Equal(t, "unknown", shortRev("\n"))
	require.Equal(t, "7d3274b", shortRev("7d3274b\n"))
}

// minGo is what doctor asks for; go.mod is what the go command asks for.
func TestDoctorMinGoIsGoMod(t *testing.T) {
	gomod := readFile(t, filepath.Join("..", "..", "go.mod"))
	m := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)`).FindStringSubmatch(gomod)
	require.NotNil(t, m, "go.mod has a go line")
	require.Equal(t, "go"+m[1]+"."+m[2], minGo, "minGo in doctor.go follows go.mod's go line")
}
