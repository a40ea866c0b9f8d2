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

// runDoctor checks, in one screen, what the workshop needs from this machine.
func runDoctor(args []string) error {
	checks := []struct {
		name string
		run  func() (string, bool)
	}{
		{"Go version", checkGoVersion},
		{"SQLite driver", checkSQLiteDriver},
		{"modules (offline)", checkModulesOffline},
		{"port 8080", checkPort},
		{"git", checkGit},
		{"starters (reset)", checkResetSource},
		{"disk (module cache)", checkDisk},
	}
	failed := 0
	for _, c := range checks {
		msg, ok := c.run()
		mark := "ok  "
		if !ok {
			mark = "FIX "
			failed++
		}
		fmt.Printf("%s %-20s %s\n", mark, c.name, msg)
	}
	if failed > 0 {
		return fmt.Errorf("%d check(s) need attention (see README.md, Troubleshooting)", failed)
	}
	fmt.Println("\nAll set. Start with: make test-stage1")
	return nil
}

// minGo is the oldest Go the kit supports: the go line of go.mod.
const minGo = "go1.26"

func checkGoVersion() (string, bool) {
	v := runtime.Version()
	if versionLess(v, minGo) {
		return fmt.Sprintf("%s is too old; install %s or newer from go.dev/dl", v, minGo), false
	}
	return v, true
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

func checkSQLiteDriver() (string, bool) {
	if os.Getenv("CGO_ENABLED") == "0" {
		return "pure-Go modernc.org/sqlite (no C compiler found or CGO_ENABLED=0): works everywhere; -race is off", true
	}
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "cc"
	}
	if err := exec.Command(cc, "--version").Run(); err != nil {
		return fmt.Sprintf("no working C compiler (%s): the Makefile will use the pure-Go driver automatically", cc), true
	}
	return "mattn/go-sqlite3 via cgo (" + cc + " found); -race available", true
}

func checkModulesOffline() (string, bool) {
	cmd := exec.Command("go", "list", "-deps", "-test", "./exercises_test/...")
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "some modules are not downloaded yet: run make setup while online\n" + indent(firstLine(string(out))), false
	}
	return "all modules are in the module cache; no network needed", true
}

func checkPort() (string, bool) {
	if err := portFree("127.0.0.1:8080"); err != nil {
		return err.Error(), false
	}
	return "127.0.0.1:8080 is free", true
}

// portFree fails when something already listens on addr.
func portFree(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s is taken (another server?): stop it, or use ARGS='-addr 127.0.0.1:8081'", addr)
	}
	return ln.Close()
}

func checkGit() (string, bool) {
	if _, err := exec.LookPath("git"); err != nil {
		return "git not found: make diff-stageN needs it", false
	}
	return "found", true
}

func checkDisk() (string, bool) {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		return "cannot ask go env: " + err.Error(), false
	}
	dir := strings.TrimSpace(string(out))
	free, err := freeBytes(filepath.Clean(dir))
	if err != nil {
		return "could not measure free space (" + err.Error() + "); about 1 GB is needed", true
	}
	if free < 1<<30 {
		return fmt.Sprintf("%.1f GB free; the build cache needs about 1 GB", float64(free)/(1<<30)), false
	}
	return fmt.Sprintf("%.0f GB free", float64(free)/(1<<30)), true
}
