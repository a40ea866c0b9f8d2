package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// A reset needs stage N's starter as gen wrote it. The full kit generates it from
// solutions/. The learner edition (make learner-edition) has no solutions/: it ships
// the pristine starters in .kit/starters/ with a checksum list, and is a git
// repository whose commit holds them too. pristineStarter tries, in order:
//
//  1. solutions/NN-topic in this folder: generate the starter (the full kit);
//  2. .kit/starters/NN-topic, if every file matches .kit/starters/SHA256SUMS;
//  3. the same two in git's HEAD of this folder (.kit/starters damaged or deleted, or
//     solutions/ deleted from a checkout of the full kit to avoid spoilers).
//
// A source that is missing or does not match its checksums is skipped, never used.
const (
	pristineDir  = ".kit/starters"
	pristineSums = "SHA256SUMS"
)

// runReset restores one starter, keeping the learner's files in .data/backup first.
func runReset(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: kit reset N")
	}
	s, err := stageByArg(args[0])
	if err != nil {
		return err
	}
	files, from, err := pristineStarter(s)
	if err != nil {
		return err
	}
	backup, err := backupStarter(s)
	if err != nil {
		return err
	}
	if err := replaceStarter(s, files); err != nil {
		if backup != "" {
			return fmt.Errorf("%w\n(your files are also in %s)", err, backup)
		}
		return err
	}
	fmt.Printf("%s is a fresh starter again (from %s).\n", s.StarterDir(), from)
	if backup == "" {
		fmt.Printf("(There was no %s to back up.)\n", s.StarterDir())
	} else {
		fmt.Printf("Your previous files are in %s;\nto get them back: rm -r %s && cp -r %s %s\n",
			backup, s.StarterDir(), backup, s.StarterDir())
	}
	return nil
}

// pristineStarter returns stage s's starter files (relative path -> content) and
// says where they came from.
func pristineStarter(s stage) (map[string][]byte, string, error) {
	var tried []string
	if s.hasSolution() {
		g, err := generate(s)
		if err != nil {
			return nil, "", err
		}
		return g.Files, s.SolutionDir(), nil
	}
	tried = append(tried, s.SolutionDir()+": absent")
	if all, err := readTree(pristineDir); err == nil {
		files, err := pristineFiles(all, s)
		if err == nil {
			return files, pristineDir, nil
		}
		tried = append(tried, pristineDir+": "+err.Error())
	} else {
		tried = append(tried, pristineDir+": absent")
	}
	if all, err := gitTree("HEAD", pristineDir); err == nil {
		files, err := pristineFiles(all, s)
		if err == nil {
			return files, "git HEAD:" + pristineDir, nil
		}
		tried = append(tried, "git HEAD:"+pristineDir+": "+err.Error())
	} else {
		tried = append(tried, "git HEAD:"+pristineDir+": "+err.Error())
	}
	if solution, err := gitTree("HEAD", s.SolutionDir()); err == nil {
		g, err := generateFrom(s, solution)
		if err == nil {
			return g.Files, "git HEAD:" + s.SolutionDir(), nil
		}
		tried = append(tried, "git HEAD:"+s.SolutionDir()+": "+err.Error())
	} else {
		tried = append(tried, "git HEAD:"+s.SolutionDir()+": "+err.Error())
	}
	return nil, "", fmt.Errorf("no pristine starter for %s found, so nothing was changed. Looked in:\n  %s\n"+
		"Get a fresh copy of the kit (or the learner edition) and copy its %s over yours",
		s.Slug, strings.Join(tried, "\n  "), s.StarterDir())
}

// pristineFiles picks stage s's files out of a pristine copy (the contents of
// .kit/starters) and checks each against the checksum list. Files the list does not
// name are not part of the starter.
func pristineFiles(all map[string][]byte, s stage) (map[string][]byte, error) {
	sums, ok := all[pristineSums]
	if !ok {
		return nil, errors.New("no " + pristineSums)
	}
	files := map[string][]byte{}
	for _, line := range strings.Split(string(sums), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		rel, inStage := strings.CutPrefix(name, s.Slug+"/")
		if !ok || !inStage {
			continue
		}
		data, ok := all[name]
		if !ok {
			return nil, fmt.Errorf("%s is missing", name)
		}
		if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != sum {
			return nil, fmt.Errorf("%s was changed", name)
		}
		files[rel] = data
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s lists no files of %s", pristineSums, s.Slug)
	}
	return files, nil
}

// pristineCopy is the .kit/starters folder for the given starters (slug -> files):
// the files under their slug, and the checksum list.
func pristineCopy(starters map[string]map[string][]byte) map[string][]byte {
	out := map[string][]byte{}
	var sums strings.Builder
	for _, slug := range slices.Sorted(maps.Keys(starters)) {
		for _, rel := range slices.Sorted(maps.Keys(starters[slug])) {
			data := starters[slug][rel]
			sum := sha256.Sum256(data)
			fmt.Fprintf(&sums, "%s  %s/%s\n", hex.EncodeToString(sum[:]), slug, rel)
			out[slug+"/"+rel] = data
		}
	}
	out[pristineSums] = []byte(sums.String())
	return out
}

// gitTree reads the files of dir (relative to the current folder) at rev from git.
func gitTree(rev, dir string) (map[string][]byte, error) {
	cmd := exec.Command("git", "archive", "--format=tar", rev+":./"+filepath.ToSlash(dir))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if msg := firstLine(strings.TrimSpace(stderr.String())); msg != "" {
			return nil, errors.New(msg)
		}
		return nil, err
	}
	files := map[string][]byte{}
	r := tar.NewReader(bytes.NewReader(out))
	for {
		h, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		files[path.Clean(h.Name)] = data
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s:%s has no files", rev, dir)
	}
	return files, nil
}

// backupStarter copies the learner's stage folder to .data/backup and returns
// where, or "" when there was no folder to keep.
func backupStarter(s stage) (string, error) {
	if _, err := os.Stat(s.StarterDir()); os.IsNotExist(err) {
		return "", nil
	}
	base := filepath.Join(".data", "backup", s.Slug+"-"+time.Now().Format("20060102-150405"))
	backup := base
	for i := 2; ; i++ { // two resets in one second keep two backups
		if _, err := os.Stat(backup); os.IsNotExist(err) {
			break
		}
		backup = fmt.Sprintf("%s-%d", base, i)
	}
	if err := os.CopyFS(backup, os.DirFS(s.StarterDir())); err != nil {
		return "", fmt.Errorf("backing up %s (nothing was changed): %w", s.StarterDir(), err)
	}
	return backup, nil
}

// replaceStarter replaces stage s's folder with files, all or nothing: it writes
// them to a new folder beside it (a dot name, which go ignores), reads them back,
// and swaps the folders with two renames; if the second fails, the first is undone.
func replaceStarter(s stage, files map[string][]byte) error {
	dir := s.StarterDir()
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	work, err := os.MkdirTemp(filepath.Dir(dir), "."+s.Slug+"-new-")
	if err != nil {
		return fmt.Errorf("%w (%s is unchanged)", err, dir)
	}
	keep := false // set when the learner's files are left in work
	defer func() {
		if !keep {
			os.RemoveAll(work)
		}
	}()
	fresh, old := filepath.Join(work, "fresh"), filepath.Join(work, "old")
	if err := writeFiles(fresh, files); err != nil {
		return fmt.Errorf("writing the new starter: %w (%s is unchanged)", err, dir)
	}
	hadOld := true
	if err := os.Rename(dir, old); os.IsNotExist(err) {
		hadOld = false
	} else if err != nil {
		return fmt.Errorf("%w (%s is unchanged)", err, dir)
	}
	if err := os.Rename(fresh, dir); err != nil {
		if hadOld {
			if err2 := os.Rename(old, dir); err2 != nil {
				keep = true
				return fmt.Errorf("%w; and putting %s back failed: your files are in %s", err, dir, old)
			}
		}
		return fmt.Errorf("%w (%s is unchanged)", err, dir)
	}
	return nil
}

// writeFiles writes files (relative path -> content) under dir, and reads them
// back to be sure they are all there.
func writeFiles(dir string, files map[string][]byte) error {
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, content, 0o644); err != nil {
			return err
		}
	}
	written, err := readTree(dir)
	if err != nil {
		return err
	}
	for rel, content := range files {
		if !bytes.Equal(written[rel], content) {
			return fmt.Errorf("%s did not read back as written", rel)
		}
	}
	if len(written) != len(files) {
		return fmt.Errorf("%d files written, %d read back", len(files), len(written))
	}
	return nil
}

// checkResetSource is make doctor's line on where make reset-stageN finds the
// pristine starters.
func checkResetSource() (string, bool) {
	list, err := stages()
	if err != nil {
		return err.Error(), false
	}
	var from []string
	for _, s := range list {
		_, src, err := pristineStarter(s)
		if err != nil {
			return fmt.Sprintf("none for %s: make reset-stage%d cannot work; %s", s.Slug, s.Number, firstLine(err.Error())), false
		}
		if src = strings.TrimSuffix(src, "/"+s.Slug); !slices.Contains(from, src) {
			from = append(from, src)
		}
	}
	return "make reset-stageN restores from " + strings.Join(from, ", "), true
}
