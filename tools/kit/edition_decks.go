package main

import (
	"path"
	"regexp"
	"strings"
)

// The presenter's decks show each stage's solutions after a "Stop: tasks first"
// divider, and their speaker notes say what to point at, answers included. The
// learner edition keeps a deck up to its divider, without the notes: what the
// room saw before the tasks.

// isDeck reports whether rel is a deck (slides/NN-name.md).
func isDeck(rel string) bool {
	dir, name := path.Split(rel)
	return dir == "slides/" && deckName.MatchString(name)
}

var (
	deckName = regexp.MustCompile(`^\d\d-[a-z0-9-]+\.md$`)
	// A Marp directive is a one-line comment "<!-- key: value -->" (<!-- _class: lead -->);
	// any other comment is a speaker note.
	marpDirective = regexp.MustCompile(`^<!-- *_?[a-zA-Z]+:[^\n]*-->$`)
	htmlComment   = regexp.MustCompile(`(?s)<!--.*?-->`)
)

// solutionsFollow is the divider's line that the edition's deck no longer keeps true.
const solutionsFollow = "The next slides show the solutions."

// learnerDeck is a deck for the learner edition: the slides up to its "Stop:
// tasks first" divider (all of them in a deck without one), without speaker notes.
func learnerDeck(src []byte) []byte {
	text := htmlComment.ReplaceAllStringFunc(string(src), func(c string) string {
		if marpDirective.MatchString(c) {
			return c
		}
		return ""
	})
	slides := strings.Split(text, "\n---\n")
	for i, s := range slides {
		if strings.Contains(s, "\n# Stop: tasks first") {
			slides = slides[:i+1]
			slides[i] = strings.Replace(s, solutionsFollow, "Your presenter walks through the solutions after the tasks.", 1)
			break
		}
	}
	text = strings.Join(slides, "\n---\n")
	return []byte(strings.TrimRight(blankLines.ReplaceAllString(text, "\n\n"), "\n") + "\n")
}

var blankLines = regexp.MustCompile(`\n{3,}`)
