package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// A panic in a learner's code reaches the test output in one of two shapes: the
// test binary's own crash ("panic: ..." and a goroutine dump, after which no other
// test runs), or a server log line whose stack="..." holds the dump on one line,
// escaped. Both bury the one line a learner needs (which function of theirs, at
// which line) among frames of the testing package, the runtime and echo. The
// functions here put that line first and cut the rest.

// maxOwnFrames is how many frames of the stage's own code a summary names: where
// it panicked and who called it.
const maxOwnFrames = 3

// summarizePanics rewrites the panics in a test's output for a learner: each
// goroutine dump and each logged stack is replaced by the frames of the code in
// dir (the stage folder, "stages/08-production"). Output without a panic in dir's
// code is returned as it is.
func summarizePanics(output, dir string) string {
	output = summarizeLoggedStacks(output, dir)
	return summarizeCrash(output, dir)
}

// summarizeCrash replaces the goroutine dump after a "panic: " line by the stage's
// frames and says that the run stopped there.
func summarizeCrash(output, dir string) string {
	lines := strings.Split(output, "\n")
	start := -1
	for i, l := range lines {
		if isCrash(l) {
			start = i
			break
		}
	}
	if start < 0 {
		return output
	}
	end := start + 1
	for end < len(lines) && !goTestLine.MatchString(lines[end]) {
		end++
	}
	frames := ownFrames(lines[start+1:end], dir)
	if len(frames) == 0 {
		return output
	}
	reason := strings.TrimSuffix(strings.TrimPrefix(lines[start], "panic: "), " [recovered, repanicked]")
	reason = strings.TrimSuffix(reason, " [recovered]")
	summary := []string{
		"Your code panicked: " + reason,
		"  " + strings.Join(frames, "\n  "),
		"A panic ends the whole test run: the tests after this one did not run.",
		"Fix it first (a panic is never an answer: return an error).",
		"",
	}
	return strings.Join(slices.Concat(lines[:start], summary, lines[end:]), "\n")
}

// isCrash says whether a line of test output starts a panic that ends the test
// binary (go test's own timeout is told apart: see testRun.TimedOut).
func isCrash(line string) bool {
	return strings.HasPrefix(line, "panic: ") && !strings.HasPrefix(line, "panic: test timed out")
}

// summarizeLoggedStacks replaces each stack="..." of a server log line by the
// stage's frames, one per line after the log line.
func summarizeLoggedStacks(output, dir string) string {
	const key = ` stack="`
	var b strings.Builder
	for {
		i := strings.Index(output, key)
		if i < 0 {
			break
		}
		quoted, err := strconv.QuotedPrefix(output[i+len(key)-1:])
		if err != nil {
			break
		}
		stack, _ := strconv.Unquote(quoted)
		frames := ownFrames(strings.Split(stack, "\n"), dir)
		b.WriteString(output[:i])
		if len(frames) == 0 {
			b.WriteString(output[i : i+len(key)-1+len(quoted)])
		} else {
			line := output[strings.LastIndex(output[:i], "\n")+1 : i]
			indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))] + "  "
			b.WriteString("\n" + indent + "in your code: " + strings.Join(frames, "\n"+indent+"              "))
		}
		output = output[i+len(key)-1+len(quoted):]
	}
	b.WriteString(output)
	return b.String()
}

// ownFrames reads a goroutine dump (a function line, then a tab and its file:line)
// and returns up to maxOwnFrames frames whose file is in dir, innermost first, as
// "(*AccountRepository).loadFromSnapshot at stages/08-production/account_repository.go:66".
func ownFrames(dump []string, dir string) []string {
	inDir := "/" + filepath.ToSlash(dir) + "/"
	var frames []string
	for i := 0; i+1 < len(dump) && len(frames) < maxOwnFrames; i++ {
		file := strings.TrimSpace(dump[i+1])
		at := strings.Index(file, inDir)
		if !strings.HasPrefix(dump[i+1], "\t") || at < 0 {
			continue
		}
		if plus := strings.LastIndex(file, " +0x"); plus > 0 {
			file = file[:plus]
		}
		frames = append(frames, fmt.Sprintf("%s at %s", funcName(dump[i]), file[at+1:]))
		i++
	}
	return frames
}

// funcName turns a dump's function line,
// "github.com/x/kit/stages/08-production.(*AccountRepository).Load(0x1, {0x2, 0x3})",
// into "(*AccountRepository).Load".
func funcName(line string) string {
	line = strings.TrimSpace(line)
	if open := strings.LastIndex(line, "("); open > 0 && strings.HasSuffix(line, ")") {
		line = line[:open]
	}
	if slash := strings.LastIndex(line, "/"); slash >= 0 {
		line = line[slash+1:]
	}
	if _, name, ok := strings.Cut(line, "."); ok {
		return name
	}
	return line
}
