package production_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/exercise"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// recorder is a publisher for tests: it acknowledges every message unless refuse
// says otherwise, remembers what it acknowledged in order, and counts every call.
// hold, when set, keeps each publish waiting until it is closed.
type recorder struct {
	mu      sync.Mutex
	got     []bank.IntegrationMessage // acknowledged, in order, copies included
	calls   map[string]int            // publish calls per message id
	refuse  func(m bank.IntegrationMessage, call int) error
	hold    chan struct{}
	entered chan bank.IntegrationMessage // with hold: each message whose publish is waiting
	changed chan struct{}                // closed at every publish
}

func newRecorder() *recorder {
	return &recorder{calls: map[string]int{}, changed: make(chan struct{}), entered: make(chan bank.IntegrationMessage, 100)}
}

func (r *recorder) Publish(ctx context.Context, m bank.IntegrationMessage) error {
	r.mu.Lock()
	r.calls[m.ID]++
	call, refuse, hold := r.calls[m.ID], r.refuse, r.hold
	r.mu.Unlock()
	if hold != nil {
		r.entered <- m
		select {
		case <-hold:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var err error
	if refuse != nil {
		err = refuse(m, call)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil {
		r.got = append(r.got, m)
	}
	close(r.changed)
	r.changed = make(chan struct{})
	return err
}

// setRefuse changes what the recorder refuses (nil: nothing).
func (r *recorder) setRefuse(refuse func(m bank.IntegrationMessage, call int) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refuse = refuse
}

// acknowledged is what the recorder acknowledged so far, in order.
func (r *recorder) acknowledged() []bank.IntegrationMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bank.IntegrationMessage{}, r.got...)
}

// callsOf is how many times the relay tried to publish message id.
func (r *recorder) callsOf(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[id]
}

// await waits, at most spec.Patience, until cond holds for what the recorder acknowledged
// (and the calls it had). It is woken by every publish; ticks every 20 ms for
// conditions on the database. On a timeout the failure says what the relay
// reported: a task not done yet, or its last error.
func (r *recorder) await(c *spec.Check, relay *bank.Relay, what string, cond func(got []bank.IntegrationMessage) bool) {
	deadline := time.After(spec.Patience)
	for {
		r.mu.Lock()
		got, changed := append([]bank.IntegrationMessage{}, r.got...), r.changed
		r.mu.Unlock()
		if cond(got) {
			return
		}
		stopIfTodo(c, relay)
		select {
		case <-changed:
		case <-time.After(20 * time.Millisecond): // the outbox can change without a publish (a park, a retry scheduled)
		case <-deadline:
			state, err := relay.State()
			c.NoError(err, "the relay (its state is "+state+")")
			c.Fail(what+" within "+spec.Patience.String(), fmt.Sprintf("the relay is %s; acknowledged so far:\n%s", state, describeMessages(got)))
		}
	}
}

// describeMessages lists messages a line each: type, subject, data.
func describeMessages(ms []bank.IntegrationMessage) string {
	if len(ms) == 0 {
		return "(none)"
	}
	lines := make([]string, len(ms))
	for i, m := range ms {
		lines[i] = fmt.Sprintf("%s %s… %s", m.Type, m.Subject[:min(8, len(m.Subject))], m.Data)
	}
	return strings.Join(lines, "\n")
}

// typesOf is the types of ms, in order.
func typesOf(ms []bank.IntegrationMessage) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Type
	}
	return out
}

// ofSubject keeps the messages about one account.
func ofSubject(ms []bank.IntegrationMessage, subject string) []bank.IntegrationMessage {
	var out []bank.IntegrationMessage
	for _, m := range ms {
		if m.Subject == subject {
			out = append(out, m)
		}
	}
	return out
}

// has reports whether ms has a message of type typ with data.
func has(ms []bank.IntegrationMessage, typ, data string) bool {
	for _, m := range ms {
		if m.Type == typ && string(m.Data) == data {
			return true
		}
	}
	return false
}

// stopIfTodo fails the test at once, with the usual message, when the relay's last
// pass failed on a task that is not done yet: there is no point in waiting for it.
func stopIfTodo(c *spec.Check, relay *bank.Relay) {
	if _, err := relay.State(); err != nil {
		if _, ok := exercise.IsTodo(err); ok {
			c.Doing("the relay, in the background, delivering the outbox's messages")
			c.NoError(err, "the relay")
		}
	}
}
