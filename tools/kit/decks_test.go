package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The decks' speaker notes carry the room's timing and its demos. These tests keep
// the minutes one truth (each deck's first note, its slides' notes, the run-sheet)
// and every demo runnable from the slide it is on.

// deckSlide is one slide of a deck: its title, its first line in the file, its
// text, and its speaker notes (HTML comments that are not Marp directives).
type deckSlide struct {
	title string
	line  int
	text  string
	notes []string
}

var (
	noteComment = regexp.MustCompile(`(?s)<!--(.*?)-->`)
	directive   = regexp.MustCompile(`^\s*_?(class|paginate|header|footer|color|backgroundColor|backgroundImage|theme|size)\s*:[^\n]*$`)
	slideTitle  = regexp.MustCompile(`(?m)^#{1,2} (.+)$`)
)

// readDeck splits a deck into its slides (front matter left out): slides are
// separated by a line "---" outside code blocks.
func readDeck(t *testing.T, path string) []deckSlide {
	t.Helper()
	lines := strings.Split(readFile(t, path), "\n")
	require.Equal(t, "---", lines[0], "%s starts with its front matter", path)
	var slides []deckSlide
	start, fence, front := 0, false, true
	flush := func(end int) {
		text := strings.Join(lines[start:end], "\n")
		s := deckSlide{line: start + 1, text: text}
		if m := slideTitle.FindStringSubmatch(text); m != nil {
			s.title = m[1]
		}
		for _, m := range noteComment.FindAllStringSubmatch(text, -1) {
			if !directive.MatchString(m[1]) {
				s.notes = append(s.notes, strings.TrimSpace(m[1]))
			}
		}
		slides = append(slides, s)
	}
	for i := 1; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "```") {
			fence = !fence
		}
		if lines[i] != "---" || fence {
			continue
		}
		if front {
			front = false
		} else {
			flush(i)
		}
		start = i + 1
	}
	flush(len(lines))
	return slides
}

func (s deckSlide) where(deck string) string { return fmt.Sprintf("%s:%d (%q)", deck, s.line, s.title) }

func decks(t *testing.T) []string {
	t.Helper()
	list, err := filepath.Glob("slides/[0-9][0-9]-*.md")
	require.NoError(t, err)
	require.NotEmpty(t, list)
	slices.Sort(list)
	return list
}

var (
	shellUse      = regexp.MustCompile(`\$\{?([A-Z][A-Z0-9_]*)\b`)
	shellSet      = regexp.MustCompile(`(?:^|[\s;(])(?:export\s+)?([A-Z][A-Z0-9_]*)=`)
	shellFor      = regexp.MustCompile(`\bfor ([A-Z][A-Z0-9_]*) in\b`)
	nonShellFence = regexp.MustCompile("(?ms)^```(go|sql|json|mermaid)\\b.*?^```")
)

// shellVariables lists the shell variables a slide's text and notes use and set:
// $X and ${X} (upper case, as the decks write them) outside Go, SQL, JSON and
// Mermaid blocks; X=... (export X=... too) and for X in.
func shellVariables(text string) (used, set []string) {
	text = nonShellFence.ReplaceAllString(text, "")
	for _, m := range shellUse.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(used, m[1]) {
			used = append(used, m[1])
		}
	}
	for _, re := range []*regexp.Regexp{shellSet, shellFor} {
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			set = append(set, m[1])
		}
	}
	return used, set
}

func TestShellVariables(t *testing.T) {
	used, set := shellVariables("```sh\nB=localhost:8080; J='x'\nID=$(curl -s $B -H \"$J\")\nfor I in 1 2; do echo ${I}$ID; done\n```\n" +
		"```go embed=x\nregexp.MustCompile(`^$X`)\n```\n<!--\n  export BASE=http://x ADA=1\n  curl $BASE/accounts/$ADA $M\n-->")
	require.Equal(t, []string{"B", "J", "I", "ID", "BASE", "ADA", "M"}, used)
	require.Equal(t, []string{"B", "J", "ID", "BASE", "ADA", "I"}, set)
}

// A presenter runs a demo from the slide it is on, with the notes beside it: every
// shell variable it uses is set on that slide or in its notes, never slides earlier.
func TestDeckShellVariablesAreSetOnTheirSlide(t *testing.T) {
	kitRoot(t)
	for _, deck := range decks(t) {
		for _, s := range readDeck(t, deck) {
			used, set := shellVariables(s.text)
			for _, v := range used {
				if !slices.Contains(set, v) {
					t.Errorf("%s uses $%s but does not set it: set %s=... on the slide or in its notes", s.where(deck), v, v)
				}
			}
		}
	}
}
