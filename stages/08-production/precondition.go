package bank

import (
	"fmt"
	"slices"
	"strings"
)

// Precondition is a client's condition on the version of the account a command
// runs on: "only if the account is still at one of these versions, the ones I
// looked at". Over HTTP it is the If-Match header (http_if_match.go). The zero
// value is no condition: the command runs on whatever version is current, and a
// concurrency conflict is retried on the client's behalf.
type Precondition struct {
	versions []int64 // the versions the client accepts
	set      bool    // a condition was given; with no versions, no version meets it
}

// OnlyAt is the condition "run only on one of these versions". With no versions
// (an If-Match whose tags name no version, such as W/"1") nothing meets it.
func OnlyAt(versions ...int64) Precondition {
	return Precondition{versions: slices.Clone(versions), set: true}
}

// IsSet reports whether the client gave a condition. A command with one is never
// retried: on a conflict the version it was checked against is gone (HTTP 412).
func (p Precondition) IsSet() bool { return p.set }

// Allows reports whether a command may run on an account at version.
func (p Precondition) Allows(version int64) bool {
	return !p.set || slices.Contains(p.versions, version)
}

// String names the versions, for error messages: "version 3", "versions 1 or 2".
func (p Precondition) String() string {
	switch len(p.versions) {
	case 0:
		if !p.set {
			return "any version"
		}
		return "no version"
	case 1:
		return fmt.Sprintf("version %d", p.versions[0])
	}
	names := make([]string, len(p.versions))
	for i, v := range p.versions {
		names[i] = fmt.Sprint(v)
	}
	return "versions " + strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
