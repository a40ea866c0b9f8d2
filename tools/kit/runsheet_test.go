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
// its slides' notes add up to it, and docs/run-sheet.md uses the same numbers.

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
			// A self-paced learner reads the stage's README and tasks.md, not the deck.
			slug := strings.TrimSuffix(filepath.Base(deck), ".md")
			readme := filepath.Join("solutions", slug, "README.md")
			if m := regexp.MustCompile(`(?m)^## Your tasks \(about (\d+) minutes`).FindStringSubmatch(readFile(t, readme)); m == nil {
				t.Errorf("%s has no heading \"## Your tasks (about N minutes\"", readme)
			} else if n, _ := strconv.Atoi(m[1]); n != d.Tasks {
				t.Errorf("%s: its tasks take about %d minutes, deck %s says tasks %d min", readme, n, deck, d.Tasks)
			}
			tasksFile := filepath.Join("exercises_test", slug, "tasks.md")
			if m := regexp.MustCompile(`\babout (\d+) minutes`).FindStringSubmatch(readFile(t, tasksFile)); m == nil { // the first: the tasks together
				t.Errorf("%s does not say \"about N minutes\"", tasksFile)
			} else if n, _ := strconv.Atoi(m[1]); n != d.Tasks {
				t.Errorf("%s: its tasks take about %d minutes, deck %s says tasks %d min", tasksFile, n, deck, d.Tasks)
			}
		})
	}
}

const runSheet = "docs/run-sheet.md"

var (
	deckRow     = regexp.MustCompile(`^\| \[[^\]]+\]\(\.\./(slides/\d\d-[a-z0-9-]+\.md)\) \| (\d+) \| (\d+) \| (\d+|–) \| (\d+|–) \| (\d+) \|`)
	scheduleRow = regexp.MustCompile(`^\| (\d+):(\d\d) \| *(\d*) *\| *([^|]+?) *\|`)
	stagePart   = regexp.MustCompile(`^(intro|\d) · (slides|tasks|solution)$`)
)

// scheduleEntry is a row of one of the run-sheet's schedules: "| 0:22 | 12 | 1 · slides | ... |".
type scheduleEntry struct {
	line         int
	start, spent int // minutes from the schedule's start; spent is 0 on its "end" row
	block        string
}

// runSheetSchedules reads the run-sheet's schedules: each table whose header starts
// "| clock | min | block |", keyed by the heading above it.
func runSheetSchedules(text string) (map[string][]scheduleEntry, []string) {
	schedules := map[string][]scheduleEntry{}
	var order []string
	heading, current := "", ""
	for i, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "#"):
			heading, current = strings.TrimLeft(line, "# "), ""
		case strings.HasPrefix(line, "| clock | min | block |"):
			current = heading
			order = append(order, heading)
		case current != "" && strings.HasPrefix(line, "|"):
			if m := scheduleRow.FindStringSubmatch(line); m != nil {
				h, _ := strconv.Atoi(m[1])
				mm, _ := strconv.Atoi(m[2])
				spent, _ := strconv.Atoi(m[3])
				schedules[current] = append(schedules[current], scheduleEntry{i + 1, h*60 + mm, spent, strings.TrimSpace(m[4])})
			}
		default:
			current = ""
		}
	}
	return schedules, order
}

func TestRunSheetAgreesWithDecks(t *testing.T) {
	kitRoot(t)
	text := readFile(t, runSheet)
	timing := map[string]deckTiming{} // "00", "01", ... -> the deck's stated minutes
	for _, deck := range decks(t) {
		timing[filepath.Base(deck)[:2]] = timingOf(t, deck, readDeck(t, deck))
	}

	t.Run("the table of minutes per deck", func(t *testing.T) {
		seen := map[string]bool{}
		for i, line := range strings.Split(text, "\n") {
			m := deckRow.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			nn := filepath.Base(m[1])[:2]
			d, ok := timing[nn]
			if !ok {
				t.Errorf("%s:%d names %s, which is not a deck", runSheet, i+1, m[1])
				continue
			}
			seen[nn] = true
			want := []string{strconv.Itoa(d.Slides), strconv.Itoa(d.Short), "–", "–", strconv.Itoa(d.Slides)}
			if d.hasTasks {
				want = []string{strconv.Itoa(d.Slides), strconv.Itoa(d.Short), strconv.Itoa(d.Tasks), strconv.Itoa(d.Solution), strconv.Itoa(d.Slides + d.Tasks + d.Solution)}
			}
			if got := m[2:]; strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("%s:%d: %s has slides, short, tasks, solution, total %v; its first note's Timing line says %v", runSheet, i+1, m[1], got, want)
			}
		}
		for _, deck := range decks(t) {
			if !seen[filepath.Base(deck)[:2]] {
				t.Errorf("%s has no row for %s", runSheet, deck)
			}
		}
	})

	schedules, order := runSheetSchedules(text)
	require.NotEmpty(t, order, "%s has schedules (tables headed | clock | min | block |)", runSheet)
	require.Contains(t, order[0], "3½", "the first schedule is the 3½-hour room")
	for n, name := range order {
		t.Run("schedule "+name, func(t *testing.T) {
			rows := schedules[name]
			require.NotEmpty(t, rows)
			clock := 0
			for _, r := range rows {
				if r.start != clock {
					t.Errorf("%s:%d: %q starts at %d:%02d, but the row before ends at %d:%02d", runSheet, r.line, r.block, r.start/60, r.start%60, clock/60, clock%60)
				}
				clock = r.start + r.spent
				m := stagePart.FindStringSubmatch(r.block)
				if m == nil {
					continue
				}
				nn := "00"
				if m[1] != "intro" {
					nn = "0" + m[1]
				}
				d, ok := timing[nn]
				require.True(t, ok, "%s:%d: %q names no deck", runSheet, r.line, r.block)
				want := map[string]int{"slides": d.Slides, "tasks": d.Tasks, "solution": d.Solution}[m[2]]
				if r.spent != want {
					t.Errorf("%s:%d: %q takes %d min; the deck says %d", runSheet, r.line, r.block, r.spent, want)
				}
			}
			last := rows[len(rows)-1]
			require.Equal(t, "end", last.block, "%s:%d: a schedule ends with an \"end\" row", runSheet, last.line)
			if n == 0 {
				require.Equal(t, 210, last.start, "the 3½-hour room ends at 3:30")
			}
		})
	}

	t.Run("the README and the intro point at it", func(t *testing.T) {
		if !strings.Contains(readFile(t, "README.md"), "("+runSheet+")") {
			t.Errorf("README.md does not link %s", runSheet)
		}
		if !strings.Contains(readFile(t, "slides/00-intro.md"), runSheet) {
			t.Errorf("slides/00-intro.md does not name %s", runSheet)
		}
	})
}
