package main

import (
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"
)

// The verifier's go test runs do not depend on each other: only the checks made
// on their results do. So every stage's runs wait in one queue and a few run at
// once, whatever stage they belong to. A stage verified on its own, one run after
// the other, would leave a 2-core machine idle while a test waits on a timer or
// the disk, and the longest stage would finish alone at the end.

// runKind is what a test run checks. The queue starts the kinds that take longest
// first (the solution under -race), so that none of them is left for last.
type runKind int

const (
	solutionRun runKind = iota // the solution, under -race where cgo works
	pureGoRun                  // the solution with CGO_ENABLED=0
	starterRun                 // the starter: task tests fail, guards pass
	inOrderRun                 // the solution with the tasks after one cut
	stretchRun                 // the solution with only the stretch tasks cut
	variantRun                 // a known-wrong variant: its caught-by tests fail
)

// mustFailPatience is how long a test waits for what happens in the background
// (spec.Patience) in runs where its task tests or caught-by tests have to fail:
// a wait that runs out there is the expected outcome, and 3 s of it instead of 10
// frees the run for the next one sooner. Guards still pass in 3 s: what they wait
// for takes milliseconds.
const mustFailPatience = "KIT_PATIENCE=3s"

// queuedRun is one go test run and, once it ran, its outcome.
type queuedRun struct {
	stage int
	kind  runKind
	pkg   string
	opt   goTestOptions

	run  testRun
	err  error
	took time.Duration
}

// runQueue runs every queued run, workers at a time, the longest kinds first and,
// within a kind, the later (bigger) stages first.
func runQueue(runs []*queuedRun, workers int) {
	order := slices.Clone(runs)
	slices.SortStableFunc(order, func(a, b *queuedRun) int {
		if a.kind != b.kind {
			return int(a.kind) - int(b.kind)
		}
		return b.stage - a.stage
	})
	next := make(chan *queuedRun)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for q := range next {
				started := time.Now()
				q.run, q.err = goTest(q.pkg, q.opt)
				q.took = time.Since(started)
			}
		})
	}
	for _, q := range order {
		next <- q
	}
	close(next)
	wg.Wait()
}

// verifyWorkers is how many test runs go at once (KIT_VERIFY_WORKERS overrides):
// two per core, as a run spends much of its time waiting.
func verifyWorkers() int {
	if n, err := strconv.Atoi(os.Getenv("KIT_VERIFY_WORKERS")); err == nil && n > 0 {
		return n
	}
	return 2 * runtime.NumCPU()
}
