// Package mutant is the switchboard of the kit's mutation testing (kit mutate).
//
// The mutation tester rewrites a stage's solution once, putting every mutant it
// makes behind a numbered switch: `a < b` becomes
//
//	mutant.Bool(17, func() bool { return a < b }, func() bool { return a <= b }, ...)
//
// and a statement `x = y` becomes `if !mutant.On(23) { x = y }`. The rewritten
// stage is compiled into one test binary, and each run of it switches on one
// mutant through the environment: KIT_MUTANT=17. One build serves every mutant,
// which is what keeps mutation testing inside make test's time.
//
// With KIT_MUTANT_TRACE=FILE, every switch the code reaches is written to FILE once,
// so the tester knows which tests reach which mutants and runs only those.
//
// No stage imports this package: only the rewritten copies in a temporary folder do.
package mutant

import (
	"fmt"
	"os"
	"strconv"
	"sync"
)

// active is the mutant switched on in this process; 0 switches none on.
var active, _ = strconv.Atoi(os.Getenv("KIT_MUTANT"))

var (
	tracePath = os.Getenv("KIT_MUTANT_TRACE")
	traceOnce sync.Once
	traceFile *os.File
	traced    sync.Map // id -> struct{}: each reached id is written once
)

// On reports whether mutant id is switched on.
func On(id int) bool {
	reach(id, 1)
	return id == active
}

// Bool evaluates orig, or the alternative switched on: alts[i] is mutant id+i.
func Bool(id int, orig func() bool, alts ...func() bool) bool {
	return Val(id, orig, alts...)
}

// Val evaluates orig, or the alternative switched on: alts[i] is mutant id+i.
func Val[T any](id int, orig func() T, alts ...func() T) T {
	reach(id, len(alts))
	if i := active - id; i >= 0 && i < len(alts) {
		return alts[i]()
	}
	return orig()
}

// Str is Val for string literals (SQL): alts[i] is mutant id+i.
func Str(id int, orig string, alts ...string) string {
	reach(id, len(alts))
	if i := active - id; i >= 0 && i < len(alts) {
		return alts[i]
	}
	return orig
}

// reach records ids id..id+n-1 as reached, when tracing.
func reach(id, n int) {
	if tracePath == "" {
		return
	}
	for i := id; i < id+n; i++ {
		if _, seen := traced.LoadOrStore(i, struct{}{}); !seen {
			write(i)
		}
	}
}

var writeMu sync.Mutex

func write(id int) {
	traceOnce.Do(func() {
		f, err := os.OpenFile(tracePath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "mutant trace:", err)
			return
		}
		traceFile = f
	})
	if traceFile == nil {
		return
	}
	writeMu.Lock()
	defer writeMu.Unlock()
	fmt.Fprintln(traceFile, id)
}
