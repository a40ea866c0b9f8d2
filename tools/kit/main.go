// Command kit is the workshop's own tool: it generates the starter stages from the
// solutions, checks the kit (make test), and serves learners and presenters
// (status, hint, reset, diff, doctor, demo). The Makefile is its front door.
package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

type command struct {
	usage string
	run   func(args []string) error
}

var commands = map[string]command{
	"gen":     {"gen [N]                 write stages/ from solutions/ (all stages, or stage N)", runGen},
	"check":   {"check                   fail if stages/ differs from what gen would write", runCheckStages},
	"verify":  {"verify [N]              task tests fail on starters and pass on solutions; known-wrong variants are caught", runVerify},
	"test":    {"test N                  run stage N's tests against your code and show what is left", runLearnerTest},
	"status":  {"status [-report URL [-nick NAME]]  a grid of tasks done, per stage; -report sends your nickname and passing tasks to the room board", runStatus},
	"watch":   {"watch [-report URL] [N] re-run a stage's tests whenever a file under stages/ is saved (stage N, or the one saved last); -report tells the room board", runWatch},
	"hint":    {"hint TASK [LEVEL]       a hint for a task (levels 1-3)", runHint},
	"reset":   {"reset N                 restore stage N's starter (your files are backed up first)", runReset},
	"diff":    {"diff N                  what stage N's solution adds to stage N-1's", runDiff},
	"compare": {"compare N               your code in stages/ beside the solution", runCompare},
	"doctor":  {"doctor                  check this machine for the workshop", runDoctor},
	"board":   {"board [-addr A] [-fresh]  (presenters) a live board of the room's progress (127.0.0.1:7070); attendees run make status REPORT=URL", runBoard},
	"demo":    {"demo [-addr A]          run the latest stage's solution with a seeded story", runDemo},
	"tail":    {"tail [-url U] [-from N] [-wide]  follow the global log of a running stage (2 on), one event per line", runTail},
	"embed":   {"embed [-check]          refresh (or check) code embedded in slides/", runEmbed},
	"mutate":  {"mutate [-v] [-incremental] [N...]  mutation testing: the tests must fail on small changes all over the solution (-incremental: trust an unchanged stage's ledger, re-checking a sample)", runMutate},
	"fuzz":    {"fuzz [-time D] [N...]    fuzz each stage's FuzzGuard_ targets against its solution for D (10s)", runFuzz},
	"overlay": {"overlay N FILE          write a go build -overlay file mapping stage N to its solution", runOverlay},

	"dashboard": {"dashboard [-db FILE] [-addr A]  a live view of a stage's database in the browser, read-only (default: the newest .data/NN-*.db on 127.0.0.1:8090)", runDashboard},
}

func main() {
	if len(os.Args) < 2 || commands[os.Args[1]].run == nil {
		usage()
		os.Exit(2)
	}
	if err := commands[os.Args[1]].run(os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "kit "+os.Args[1]+": "+err.Error())
		os.Exit(1)
	}
}

func usage() {
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("usage: go run ./tools/kit COMMAND\n\n")
	for _, name := range names {
		b.WriteString("  " + commands[name].usage + "\n")
	}
	fmt.Fprint(os.Stderr, b.String())
}
