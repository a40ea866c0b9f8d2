// Command bench measures the event store of stage 2 (the same store every later
// stage uses) against raw SQLite doing the same work with the same schema and
// pragmas, in the same process, and prints the ratios. `make bench` runs it;
// `go test -bench . ./tools/bench` runs the same benchmarks for benchstat.
//
// Read the ratios, not the absolute numbers: those depend on the laptop.
package main

import (
	"flag"
	"fmt"
	"os"
	"testing"
	"text/tabwriter"
)

// side is one benchmark and how many events one of its operations handles.
type side struct {
	run    func(*testing.B)
	events int
}

// pair is one comparison; ratio = first's time per event / second's.
type pair struct {
	name          string
	first, second side
	goal          string
	meets         func(ratio float64) bool // nil: a lesson, not a goal
}

func main() {
	testing.Init()
	rounds := flag.Int("rounds", 3, "measure each side this many times, interleaved, and keep the fastest")
	_ = flag.Set("test.benchtime", "400ms")
	flag.Parse()
	measureRounds = *rounds
	atLeast80 := func(r float64) bool { return 1/r >= 0.8 }
	atMost150 := func(r float64) bool { return r <= 1.5 }
	goals := []pair{
		{"append 1 event per transaction", side{benchAppend(1), 1}, side{benchRawInsert(1, newV7, "NORMAL"), 1}, "rate ≥ 80% of raw", atLeast80},
		{"append 100 events per transaction", side{benchAppend(100), 100}, side{benchRawInsert(100, newV7, "NORMAL"), 100}, "rate ≥ 80% of raw", atLeast80},
		{"load a 1,000-event stream", side{benchLoad(1000), 1000}, side{benchRawLoad(1000), 1000}, "≤ 1.5× raw", atMost150},
		{"read all, pages of 1,000", side{benchReadAll(1000), 1000}, side{benchRawReadAll(1000), 1000}, "≤ 1.5× raw", atMost150},
	}
	lessons := []pair{
		{"random v4 ids / UUIDv7 ids (100 per txn)", side{benchRawInsert(100, newV4, "NORMAL"), 100}, side{benchRawInsert(100, newV7, "NORMAL"), 100}, "", nil},
		{"synchronous FULL / NORMAL (1 per txn)", side{benchRawInsert(1, newV7, "FULL"), 1}, side{benchRawInsert(1, newV7, "NORMAL"), 1}, "", nil},
		{"1 per txn / 100 per txn (per event)", side{benchRawInsert(1, newV7, "NORMAL"), 1}, side{benchRawInsert(100, newV7, "NORMAL"), 100}, "", nil},
	}
	fmt.Println("Event store (solutions/02-events) vs raw SQLite: same schema, same pragmas, same process.")
	fmt.Println("Times are per event; ratio = first / second.")
	fmt.Println()
	missed := report("store vs raw", goals)
	fmt.Println()
	report("what the numbers teach", lessons)
	if missed > 0 {
		fmt.Printf("\n%d goal(s) missed on this machine.\n", missed)
		os.Exit(1)
	}
}

// report runs each pair and prints a row per pair; it returns the goals missed.
func report(title string, pairs []pair) int {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "%s\tfirst\tsecond\tratio\tgoal\n", title)
	missed := 0
	for _, p := range pairs {
		first, second := measure(p.first, p.second)
		ratio := first / second
		verdict := ""
		if p.meets != nil {
			verdict = p.goal + ": ok"
			if !p.meets(ratio) {
				verdict = p.goal + ": MISSED"
				missed++
			}
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%.2f\t%s\n", p.name, duration(first), duration(second), ratio, verdict)
	}
	w.Flush()
	return missed
}

// measureRounds is how often each side of a pair is measured.
var measureRounds = 3

// measure times both sides in alternation and keeps each side's fastest round:
// a disk flush or a busy core slows a round down, nothing speeds one up.
func measure(first, second side) (float64, float64) {
	best := func(old, now float64) float64 {
		if old == 0 || now < old {
			return now
		}
		return old
	}
	var f, s float64
	for range max(measureRounds, 1) {
		f = best(f, nsPerEvent(first))
		s = best(s, nsPerEvent(second))
	}
	return f, s
}

func nsPerEvent(s side) float64 {
	r := testing.Benchmark(s.run)
	return float64(r.T.Nanoseconds()) / float64(r.N*s.events)
}

func duration(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.0f ns", ns)
	}
}
