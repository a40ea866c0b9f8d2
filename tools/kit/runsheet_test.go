package main

import (
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// One truth for the room's minutes: each deck's first note has a "Timing:" line,
// and its slides' notes add up to it.

// firstLine is the first line of a slide's first note: where its time is said.
func (s deckSlide) firstLine() string {
	if len(s.notes) == 0 {
		return ""
	}
	return strings.SplitN(s.notes[0], "\n", 2)[0]
}

var (
	slideMinutes = regexp.MustCompile(`^(?:About |DEMO \()?(\d+(?:\.\d+)?) (seconds|minutes?)\b`)
	walkThrough  = regexp.MustCompile(`\b(\d+)-minute walk-through\b`)
	timingLine   = regexp.MustCompile(`^Timing: slides (\d+) min(?: \((\d+) when short of time\))?(?:, tasks (\d+) min, solution (\d+) min)?[.:]`)
	tasksTitle   = regexp.MustCompile(`^Your tasks \(about (\d+) minutes`)
	anyMinutes   = regexp.MustCompile(`\b(\d+) minutes\b`)
)

// minutes is the time a slide's note starts with ("About 1.5 minutes.", "30 seconds.",
// "DEMO (3 minutes)."), and whether it names one.
func (s deckSlide) minutes() (float64, bool) {
	m := slideMinutes.FindStringSubmatch(s.firstLine())
	if m == nil {
		return 0, false
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	if m[2] == "seconds" {
		v /= 60
	}
	return v, true
}

// deckTiming is what a deck's first note says in its "Timing:" line, and what its
// slides' notes add up to.
type deckTiming struct {
	Slides, Short, Tasks, Solution int // stated; Short is Slides when the deck names none
	hasTasks                       bool
	sumSlides, sumSkippable        float64 // the notes before the "Stop: tasks first" divider
	sumSolution                    float64 // the notes after it, the walk-through counted once
}

func timingOf(t *testing.T, deck string, slides []deckSlide) deckTiming {
	t.Helper()
	m := timingLine.FindStringSubmatch(slides[0].firstLine())
	require.NotNil(t, m, "%s: the first note starts with a line like %q; it has %q",
		deck, "Timing: slides 20 min (18 when short of time), tasks 25 min, solution 10 min.", slides[0].firstLine())
	var d deckTiming
	d.Slides, _ = strconv.Atoi(m[1])
	d.Short = d.Slides
	if m[2] != "" {
		d.Short, _ = strconv.Atoi(m[2])
	}
	if m[3] != "" {
		d.hasTasks = true
		d.Tasks, _ = strconv.Atoi(m[3])
		d.Solution, _ = strconv.Atoi(m[4])
	}
	after, walk := false, 0
	for _, s := range slides[1:] {
		if strings.HasPrefix(s.title, "Stop: tasks first") {
			after = true
			continue
		}
		v, _ := s.minutes()
		if w := walkThrough.FindStringSubmatch(s.firstLine()); w != nil {
			n, _ := strconv.Atoi(w[1])
			if walk != 0 && n != walk {
				t.Errorf("%s: a %d-minute walk-through, after a %d-minute one", s.where(deck), n, walk)
			}
			if walk == 0 {
				v, walk = float64(n), n
			}
		}
		switch {
		case after:
			d.sumSolution += v
		case strings.Contains(s.firstLine(), "skip"):
			d.sumSkippable += v
			fallthrough
		default:
			d.sumSlides += v
		}
	}
	return d
}

// roundMinutes rounds a sum of minutes to whole minutes, halves up.
func roundMinutes(v float64) int { return int(math.Floor(v + 0.5)) }

func TestDeckTimingAddsUp(t *testing.T) {
	kitRoot(t)
	for _, deck := range decks(t) {
		t.Run(filepath.Base(deck), func(t *testing.T) {
			slides := readDeck(t, deck)
			d := timingOf(t, deck, slides)
			if got := roundMinutes(d.sumSlides); got != d.Slides {
				t.Errorf("%s: the first note says slides %d min; the slides' notes before the tasks add up to %.1f", deck, d.Slides, d.sumSlides)
			}
			if got := roundMinutes(d.sumSlides - d.sumSkippable); got != d.Short {
				t.Errorf("%s: the first note says %d min when short of time; the slides whose note says \"skip\" leave %.1f", deck, d.Short, d.sumSlides-d.sumSkippable)
			}
			if !d.hasTasks {
				for _, s := range slides {
					require.NotContains(t, s.title, "Your tasks", "%s has tasks: its Timing line names tasks and solution minutes", deck)
				}
				return
			}
			if got := roundMinutes(d.sumSolution); got != d.Solution {
				t.Errorf("%s: the first note says solution %d min; the notes after \"Stop: tasks first\" add up to %.1f", deck, d.Solution, d.sumSolution)
			}
			var tasks, divider *deckSlide
			for i, s := range slides {
				switch {
				case tasksTitle.MatchString(s.title):
					tasks = &slides[i]
				case strings.HasPrefix(s.title, "Stop: tasks first"):
					divider = &slides[i]
				}
			}
			require.NotNil(t, tasks, "%s has a slide \"Your tasks (about N minutes ...)\"", deck)
			require.NotNil(t, divider, "%s has a \"Stop: tasks first\" divider", deck)
			if n, _ := strconv.Atoi(tasksTitle.FindStringSubmatch(tasks.title)[1]); n != d.Tasks {
				t.Errorf("%s: the task slide says about %d minutes, the first note tasks %d min", tasks.where(deck), n, d.Tasks)
			}
			for _, m := range anyMinutes.FindAllStringSubmatch(strings.Join(divider.notes, "\n"), -1) {
				if n, _ := strconv.Atoi(m[1]); n != d.Tasks {
					t.Errorf("%s: the divider's note says %d minutes of tasks, the first note %d", divider.where(deck), n, d.Tasks)
				}
			}
		})
	}
}
