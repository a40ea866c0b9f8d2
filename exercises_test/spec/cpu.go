package spec

import (
	"fmt"
	"time"
)

// A service that waits for work must not burn a core while it waits: a loop
// that looks for work again at once, instead of sleeping until it is told of
// some or its poll comes round, gives the same answers and costs a core per
// loop, in production and on a laptop. No answer shows it; the CPU time does.

// IdleCPUShare is the most of one core an idle bank may use while it waits.
const IdleCPUShare = 0.25

// CheckIdle measures the CPU time this process spends over d while the bank
// (started by the caller, with nothing to do) waits, and fails when it is more
// than IdleCPUShare of one core. Where the platform cannot measure it (cpuTime
// reports false), it checks nothing.
func (c *Check) CheckIdle(d time.Duration, what string) {
	c.t.Helper()
	before, ok := cpuTime()
	if !ok {
		return
	}
	started := time.Now()
	time.Sleep(d) // measuring what the process does while nothing happens
	after, _ := cpuTime()
	used, took := after-before, time.Since(started)
	c.That(float64(used) <= IdleCPUShare*float64(took),
		fmt.Sprintf("%s: waiting without burning the CPU, at most %.0f%% of one core over %s", what, 100*IdleCPUShare, took.Round(time.Millisecond)),
		fmt.Sprintf("%s of CPU time in %s (%.0f%% of a core): a loop that looks for work again at once instead of waiting for a signal or its poll",
			used.Round(time.Millisecond), took.Round(time.Millisecond), 100*float64(used)/float64(took)))
}
