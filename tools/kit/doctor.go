package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// A finding is what one check of make doctor found: a line for the screen, and a
// few words for the summary line an attendee pastes back to the presenter.
type finding struct {
	ok     bool
	detail string // the screen's line: may name files, folders and commands
	// summary is the finding in the pasted line: no paths, no user or machine
	// names. "" leaves it out of the line.
	summary string
}

// doctorCheck is one line of make doctor's screen.
type doctorCheck struct {
	name string
	run  func() finding
}

var doctorChecks = []doctorCheck{
	{"Go version", checkGoVersion},
	{"SQLite driver", checkSQLiteDriver},
	{"modules (offline)", checkModulesOffline},
	{"port 8080", checkPort},
	{"git", checkGit},
	{"starters (reset)", checkStarters},
	{"disk (module cache)", checkDisk},
}

// runDoctor checks, in one screen, what the workshop needs from this machine, and
// ends with one line to paste back to the presenter (summaryLine).
func runDoctor(args []string) error {
	var found []finding
	failed := 0
	for _, c := range doctorChecks {
		f := c.run()
		mark := "ok  "
		if !f.ok {
			mark = "FIX "
			failed++
		}
		fmt.Printf("%s %-20s %s\n", mark, c.name, f.detail)
		found = append(found, f)
	}
	if failed > 0 {
		fmt.Printf("\n%d check(s) need attention: see README.md, Troubleshooting.\n", failed)
	} else {
		fmt.Println("\nAll set. Start with: make test-stage1")
	}
	fmt.Println("\nSend this line to your presenter (it names no paths, users or machines):")
	fmt.Println(summaryLine(found, platform(), kitVersion()))
	if failed > 0 {
		// Exit here rather than return an error: main would print it after the
		// summary line, which must stay the kit's last line.
		os.Exit(1)
	}
	return nil
}

// summaryLine is make doctor's last line, for an attendee to paste into a mail or
// a chat: "doctor: ready · go1.26.0 linux/amd64 · sqlite: cgo (mattn/go-sqlite3) ·
// modules cached · port 8080 free · 12 GB free · kit 7d3274b", or
// "doctor: NOT ready · <the first problem> · go1.26.0 linux/amd64 · kit 7d3274b".
func summaryLine(found []finding, platform, version string) string {
	var problems, facts []string
	for _, f := range found {
		switch {
		case !f.ok && f.summary != "":
			problems = append(problems, f.summary)
		case !f.ok:
			problems = append(problems, "a check failed")
		case f.summary != "":
			facts = append(facts, f.summary)
		}
	}
	parts := []string{"doctor: ready", platform}
	if len(problems) > 0 {
		parts = []string{"doctor: NOT ready", problems[0]}
		if more := len(problems) - 1; more > 0 {
			parts = append(parts, fmt.Sprintf("%d more problem%s on screen", more, plural(more)))
		}
		parts = append(parts, platform)
	} else {
		parts = append(parts, facts...)
	}
	parts = append(parts, version)
	line := strings.Join(parts, " · ")
	return strings.Join(strings.Fields(line), " ") // one line, whatever a summary held
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// platform is the Go release and the system it builds for: "go1.26.0 linux/amd64".
func platform() string { return runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH }

// kitVersion names the kit's commit: the full kit's, from git, or for the learner
// edition the full kit's commit it was made from.
func kitVersion() string {
	if data, err := os.ReadFile(editionInfo); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if rev, ok := strings.CutPrefix(line, "made-from: "); ok {
				return "kit " + shortRev(rev) + " (learner edition)"
			}
		}
		return "kit: learner edition"
	}
	out, err := exec.Command("git", "rev-parse", "--short=7", "HEAD").Output()
	if err != nil {
		return "kit version unknown (no git)"
	}
	return "kit " + shortRev(string(out))
}

// shortRev is the first 7 hex digits of a commit ("" becomes "unknown").
func shortRev(rev string) string {
	rev = strings.TrimSpace(rev)
	if i := strings.IndexFunc(rev, func(r rune) bool { return !strings.ContainsRune("0123456789abcdef", r) }); i >= 0 {
		rev = rev[:i] // "5235175... (with uncommitted changes)"
	}
	if len(rev) > 7 {
		rev = rev[:7]
	}
	if rev == "" {
		return "unknown"
	}
	return rev
}

// minGo is the oldest Go the kit supports: the go line of go.mod (doctor_test.go
// keeps the two the same).
const minGo = "go1.26"

func checkGoVersion() finding {
	v := runtime.Version()
	if versionLess(v, minGo) {
		return finding{
			detail:  fmt.Sprintf("%s is too old; install %s or newer from go.dev/dl", v, minGo),
			summary: fmt.Sprintf("%s is older than %s: install %s or newer", v, minGo, minGo),
		}
	}
	return finding{ok: true, detail: v} // the summary line names it anyway
}

// versionLess compares go1.X[.Y] versions by minor number.
func versionLess(a, b string) bool {
	minor := func(v string) int {
		var major, m int
		fmt.Sscanf(strings.TrimPrefix(v, "go"), "%d.%d", &major, &m)
		return major*1000 + m
	}
	return minor(a) < minor(b)
}

func checkSQLiteDriver() finding {
	pureGo := "sqlite: pure Go (modernc.org/sqlite)"
	if os.Getenv("CGO_ENABLED") == "0" {
		return finding{true, "pure-Go modernc.org/sqlite (no C compiler found or CGO_ENABLED=0): works everywhere; -race is off", pureGo}
	}
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "cc"
	}
	if err := exec.Command(cc, "--version").Run(); err != nil {
		return finding{true, fmt.Sprintf("no working C compiler (%s): the Makefile will use the pure-Go driver automatically", cc), pureGo}
	}
	return finding{true, "mattn/go-sqlite3 via cgo (" + cc + " found); -race available", "sqlite: cgo (mattn/go-sqlite3)"}
}

func checkModulesOffline() finding {
	cmd := exec.Command("go", "list", "-deps", "-test", "./exercises_test/...")
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		return finding{
			detail:  "some modules are not downloaded yet: run make setup while online\n" + indent(firstLine(string(out))),
			summary: "Go modules not downloaded: run make setup while online",
		}
	}
	return finding{true, "all modules are in the module cache; no network needed", "modules cached"}
}

func checkPort() finding {
	if err := portFree("127.0.0.1:8080"); err != nil {
		return finding{detail: err.Error(), summary: "port 8080 taken: stop the other server, or use ARGS='-addr 127.0.0.1:8081'"}
	}
	return finding{true, "127.0.0.1:8080 is free", "port 8080 free"}
}

// portFree fails when something already listens on addr.
func portFree(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s is taken (another server?): stop it, or use ARGS='-addr 127.0.0.1:8081'", addr)
	}
	return ln.Close()
}

func checkGit() finding {
	if _, err := exec.LookPath("git"); err != nil {
		return finding{detail: "git not found: make diff-stageN needs it", summary: "git not found: install git"}
	}
	return finding{ok: true, detail: "found"}
}

// checkStarters is checkResetSource (reset.go) as a finding: its detail names
// folders, so the summary line only says whether reset works.
func checkStarters() finding {
	detail, ok := checkResetSource()
	if !ok {
		return finding{detail: detail, summary: "no starter for make reset-stageN: see the screen"}
	}
	return finding{ok: true, detail: detail}
}

func checkDisk() finding {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		return finding{detail: "cannot ask go env: " + err.Error(), summary: "go env fails: see the screen"}
	}
	dir := strings.TrimSpace(string(out))
	free, err := freeBytes(filepath.Clean(dir))
	if err != nil {
		return finding{true, "could not measure free space (" + err.Error() + "); about 1 GB is needed", "disk not measured"}
	}
	gb := float64(free) / (1 << 30)
	if free < 1<<30 {
		return finding{
			detail:  fmt.Sprintf("%.1f GB free; the build cache needs about 1 GB", gb),
			summary: fmt.Sprintf("%.1f GB free: about 1 GB is needed", gb),
		}
	}
	return finding{true, fmt.Sprintf("%.0f GB free", gb), fmt.Sprintf("%.0f GB free", gb)}
}
