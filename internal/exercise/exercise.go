// Package exercise gives the starter code's stubs their error.
//
// When the stage generator cuts a task out of a solution it leaves a stub that
// returns Todo("3.2"). The stub compiles and the tests run: a panic would end the
// whole test binary and hide every other result.
package exercise

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
)

// TodoError is the error a stub returns until its task is done.
type TodoError struct {
	Task string // "3.2"
	File string // "stages/03-aggregates/account.go"
	// Stretch marks the stub of an optional stretch task (Stretch): the stage works
	// without it, and the HTTP API answers 501 Not Implemented where it is needed.
	Stretch bool
}

func (e *TodoError) Error() string {
	kind := "task"
	if e.Stretch {
		kind = "stretch task"
	}
	return fmt.Sprintf("%s %s is not done yet: open %s (look for TODO(%s)); stuck? run: make hint TASK=%s",
		kind, e.Task, e.File, e.Task, e.Task)
}

// Todo returns the error of an unfinished task. It names the file of its caller,
// so the message always points at the stub that returned it.
func Todo(task string) error {
	_, file, _, ok := runtime.Caller(1)
	if !ok {
		file = "the stage folder"
	}
	return &TodoError{Task: task, File: kitRelative(file)}
}

// Stretch returns the error of an optional stretch task that is not done yet.
// Its stub leaves the stage working: only the feature the task adds is missing,
// and the HTTP API answers a request for it with 501 Not Implemented, naming the
// task and its hint, instead of a 500.
func Stretch(task string) error {
	_, file, _, ok := runtime.Caller(1)
	if !ok {
		file = "the stage folder"
	}
	return &TodoError{Task: task, File: kitRelative(file), Stretch: true}
}

// todoMessage matches TodoError.Error() anywhere in a line, e.g. in a server log
// where the learner's code wrapped it ("save account: task 3.1 is not done yet: ...").
var todoMessage = regexp.MustCompile(`(stretch )?task (\d+\.\d+) is not done yet: open (\S+)`)

// ParseTodo finds a TodoError's message in text (a log line, a wrapped error).
func ParseTodo(text string) (*TodoError, bool) {
	m := todoMessage.FindStringSubmatch(text)
	if m == nil {
		return nil, false
	}
	return &TodoError{Task: m[2], File: m[3], Stretch: m[1] != ""}, true
}

// OpenTransactionAdvice explains the usual cause of a call that never returns in
// the stages: SQLite has one write connection, and a transaction left open (an
// early return without Rollback) keeps it from everyone else.
const OpenTransactionAdvice = "is a transaction left open? SQLite has one write connection, and an early return " +
	"without Rollback keeps it from every later write. Put defer tx.Rollback() right after BeginTx."

// IsTodo reports whether err (or an error it wraps) comes from an unfinished task.
func IsTodo(err error) (*TodoError, bool) {
	var te *TodoError
	ok := errors.As(err, &te)
	return te, ok
}

// kitRelative shortens an absolute source path to the part a learner recognises.
func kitRelative(file string) string {
	file = filepath.ToSlash(file)
	cut := -1
	for _, dir := range []string{"/stages/", "/solutions/"} {
		cut = max(cut, strings.LastIndex(file, dir))
	}
	if cut < 0 {
		return file
	}
	return file[cut+1:]
}
