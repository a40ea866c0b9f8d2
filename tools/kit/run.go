package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// `kit run N [-variant NAME] [-- ARGS]` runs stage N's solution, with one of its
// known-wrong variants patched in when asked, so a presenter can break a stage
// live without touching a file: the patched copies and the go build -overlay
// that points the build at them are written under .data/variants, and
// solutions/ stays as it is. make run-stageN VARIANT=NAME calls it.

func init() {
	commands["run"] = command{"run N [-variant NAME] [-- ARGS]  build and run stage N's solution, a known-wrong variant patched in (make run-stageN VARIANT=NAME)", runRun}
}

func runRun(args []string) error {
	if len(args) < 1 {
		return fmt.Errorf("usage: kit run N [-variant NAME] [-- server arguments]")
	}
	s, err := stageByArg(args[0])
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	name := fs.String("variant", "", "a known-wrong variant of the solution (exercises_test/NN-*/known-wrong/NAME.txt)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if !s.hasSolution() {
		return errNoSolution(s, fmt.Sprintf("make run-stage%d VARIANT=...", s.Number))
	}
	v, err := variantStory(s, *name, os.Stdout)
	if err != nil {
		return err
	}
	bin, err := buildServer(s, v, os.Stdout)
	if err != nil {
		return err
	}
	serverArgs := fs.Args()
	if v != nil {
		serverArgs = variantDatabase(s, *v, serverArgs)
	}
	fmt.Printf("Starting %s (Ctrl-C stops it) ...\n", bin)
	return execServer(bin, serverArgs)
}

// variantDatabase gives a known-wrong variant a database of its own, unless the
// arguments name one (-db): what a broken server writes stays out of the
// learner's .data/NN-*.db, and each run of the demo starts afresh.
func variantDatabase(s stage, v variant, args []string) []string {
	for _, a := range args {
		if a == "-db" || a == "--db" || strings.HasPrefix(a, "-db=") || strings.HasPrefix(a, "--db=") {
			return args
		}
	}
	db := filepath.Join(".data", "variants", fmt.Sprintf("%s-%s.db", s.Slug, v.Name))
	removeDatabase(db) // a fresh database each run: the demo shows what this run broke
	fmt.Printf("The variant writes to a database of its own, emptied first: %s\n", db)
	return append([]string{"-db", db}, args...)
}

// findVariant is the known-wrong variant of stage s called name; an unknown name
// is refused with the list of the stage's variants, so a typo costs one look.
func findVariant(s stage, name string) (variant, error) {
	all, err := loadVariants(s)
	if err != nil {
		return variant{}, err
	}
	names := make([]string, len(all))
	for i, v := range all {
		if v.Name == name {
			return v, nil
		}
		names[i] = v.Name
	}
	if len(names) == 0 {
		return variant{}, fmt.Errorf("stage %d has no known-wrong variants (%s)", s.Number, filepath.Join(s.TestDir(), "known-wrong"))
	}
	return variant{}, fmt.Errorf("stage %d has no known-wrong variant %q; its variants are:\n  %s", s.Number, name, strings.Join(names, "\n  "))
}

// variantStory finds the known-wrong variant of stage s called name and tells
// its story on w, before anything is built: the room reads what is about to
// break while it compiles. It returns nil for an empty name.
func variantStory(s stage, name string, w io.Writer) (*variant, error) {
	if name == "" {
		return nil, nil
	}
	v, err := findVariant(s, name)
	if err != nil {
		return nil, err
	}
	printVariantStory(w, s, v)
	return &v, nil
}

// buildServer builds stage s's solution server into .data/bin, with the
// known-wrong variant v patched in through an overlay (none when v is nil),
// and returns the binary.
func buildServer(s stage, v *variant, out io.Writer) (string, error) {
	bin := filepath.Join(".data", "bin", fmt.Sprintf("server-%d-solution", s.Number))
	label := s.SolutionDir()
	var overlay []string
	if v != nil {
		file, err := writeVariantOverlay(s, *v, filepath.Join(".data", "variants"))
		if err != nil {
			return "", err
		}
		bin += "-" + v.Name
		label += " with known-wrong variant " + v.Name
		overlay = []string{"-overlay", file}
	}
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	fmt.Fprintf(out, "Building %s ...\n", label)
	args := append(append([]string{"build", "-o", bin}, overlay...), "./"+filepath.ToSlash(filepath.Join(s.SolutionDir(), "cmd", "server")))
	build := exec.Command("go", args...)
	build.Stdout, build.Stderr = out, os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("go build %s: %w", label, err)
	}
	return bin, nil
}

// writeVariantOverlay writes v's patched files and a go build -overlay file that
// maps each solution file it changes to its patched copy, all under dir.
func writeVariantOverlay(s stage, v variant, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	patched, err := v.apply(s, dir)
	if err != nil {
		return "", err
	}
	replace := map[string]string{}
	for file, copyPath := range patched {
		from, err := filepath.Abs(filepath.Join(s.SolutionDir(), filepath.FromSlash(file)))
		if err != nil {
			return "", err
		}
		to, err := filepath.Abs(copyPath)
		if err != nil {
			return "", err
		}
		replace[from] = to
	}
	overlay := filepath.Join(dir, s.Slug+"-"+v.Name+".json")
	return overlay, writeOverlayFile(overlay, replace)
}

// writeOverlayFile writes a go build -overlay file: each path in replace is
// read from its replacement instead.
func writeOverlayFile(path string, replace map[string]string) error {
	data, err := json.MarshalIndent(struct{ Replace map[string]string }{replace}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// printVariantStory says which mistake is switched on, in the variant's own
// words, before the server's first log line.
func printVariantStory(w io.Writer, s stage, v variant) {
	fmt.Fprintf(w, "\nKnown-wrong variant %q of stage %d is switched on (%s):\n\n", v.Name, s.Number,
		filepath.ToSlash(filepath.Join(s.TestDir(), "known-wrong", v.Name+".txt")))
	for _, line := range strings.Split(v.Why, "\n") {
		fmt.Fprintln(w, "  "+line)
	}
	fmt.Fprintf(w, "\n  The tests that catch it: %s\n\n", strings.Join(v.CaughtBy, ", "))
}

// removeDatabase deletes a SQLite file and its -wal and -shm companions, if any:
// what is left of one of them would be read into the next database of that name.
func removeDatabase(path string) {
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		_ = os.Remove(f)
	}
}
