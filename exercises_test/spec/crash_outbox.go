package spec

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// The outbox's crash test (stage 5 on): the child server's relay POSTs its
// messages to a webhook sink in the test's own process, so deliveries are counted
// from outside the process that is killed.

const serveWebhookEnv = "KIT_SERVE_WEBHOOK"

// ChildWebhook is the URL a crash test's child server must deliver its messages
// to ("" when the test gave none): its TestMain passes it to the stage's server.
func ChildWebhook() string { return os.Getenv(serveWebhookEnv) }

// Sink is a webhook receiver on loopback: it acknowledges every POST with a 204
// and keeps what it received.
type Sink struct {
	URL     string
	mu      sync.Mutex
	byID    map[string]int            // deliveries per message id
	first   map[string]map[string]any // the first delivery of each message id
	total   int
	changed chan struct{}
}

// NewSink starts a sink that stops when the test ends.
func NewSink(c *Check) *Sink {
	s := &Sink{byID: map[string]int{}, first: map[string]map[string]any{}, changed: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var m map[string]any
		if err != nil || json.Unmarshal(body, &m) != nil {
			http.Error(w, "not a JSON message", http.StatusBadRequest)
			return
		}
		id, _ := m["message_id"].(string)
		s.mu.Lock()
		s.total++
		s.byID[id]++
		if s.byID[id] == 1 {
			s.first[id] = m
		}
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	c.t.Cleanup(srv.Close)
	s.URL = srv.URL + "/messages"
	return s
}

// Messages returns the first delivery of every message, how many deliveries there
// were in all, and a channel closed at the next one.
func (s *Sink) Messages() (first []map[string]any, total int, changed <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.first {
		first = append(first, m)
	}
	return first, s.total, s.changed
}

// depositAmounts maps the amount of each MoneyDeposited message to how many
// different messages announced it.
func depositAmounts(messages []map[string]any) map[int64]int {
	out := map[int64]int{}
	for _, m := range messages {
		if m["type"] != "bank.account.v1.MoneyDeposited" {
			continue
		}
		data, _ := m["data"].(map[string]any)
		amount, _ := data["amount"].(float64)
		out[int64(amount)]++
	}
	return out
}

// CheckACrashLosesNoMessage kills the server with SIGKILL while four clients
// deposit as fast as they can, each deposit a different amount (loopback only,
// bounded in count and time), and restarts it on the same file. Then every
// deposit in the stream must be announced, at least once, to the webhook sink in
// the test's process, and nothing else: no message for a deposit that was not
// stored. Copies are allowed (at least once) and counted.
func CheckACrashLosesNoMessage(c *Check) {
	c.t.Helper()
	sink := NewSink(c)
	path := filepath.Join(c.t.TempDir(), "bank.db")
	first := startChildWith(c, path, sink.URL)
	c.Doing("open an account on the child server (its relay POSTs to a sink in this process)")
	status, opened := first.post("/accounts", `{"owner":"Ada","kind":"savings","currency":"EUR"}`)
	first.explainTodo(c)
	c.That(status == http.StatusCreated, "201 Created", fmt.Sprintf("%d %v", status, opened))
	id, _ := opened["id"].(string)

	var sent, acked, refused atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for client := range 4 {
		wg.Go(func() {
			for i := 0; i < 2000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				sent.Add(1)
				switch status, _ := first.post("/accounts/"+id+"/deposits", fmt.Sprintf(`{"amount":%d}`, 1+4*i+client)); status {
				case http.StatusOK:
					acked.Add(1)
				case 0:
					return // the server is gone
				default:
					refused.Add(1)
				}
			}
		})
	}
	c.Doing("deposit from four clients, each deposit its own amount; SIGKILL the server after 200 acknowledged deposits")
	deadline := time.Now().Add(20 * time.Second)
	for acked.Load() < 200 && refused.Load() < 20 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // polling a counter, bounded by the deadline
	}
	first.kill()
	close(stop)
	wg.Wait()
	first.explainTodo(c)
	c.That(acked.Load() >= 200, "200 deposits acknowledged before the kill",
		fmt.Sprintf("%d of %d acknowledged, %d refused\nserver log: %s", acked.Load(), sent.Load(), refused.Load(), lastError(first.stderr.String())))
	_, beforeRestart, _ := sink.Messages()

	c.Doing("restart the server on the same file (%d deposits acknowledged, %d sent, %d deliveries before the kill)", acked.Load(), sent.Load(), beforeRestart)
	second := startChildWith(c, path, sink.URL)
	events, _ := second.get(c, "/accounts/"+id+"/events")["events"].([]any)
	committed := map[int64]bool{}
	for _, e := range events {
		e := e.(map[string]any)
		if e["type"] == "MoneyDeposited" {
			committed[int64(e["data"].(map[string]any)["amount"].(float64))] = true
		}
	}
	c.That(int64(len(committed)) >= acked.Load() && int64(len(committed)) <= sent.Load(),
		fmt.Sprintf("from %d (every acknowledged deposit) to %d (every one sent) deposits stored", acked.Load(), sent.Load()), fmt.Sprintf("%d", len(committed)))

	c.Doing("wait until the sink has a message for each of the %d stored deposits (the restarted relay takes over once the killed one's lease has run out)", len(committed))
	wait := time.After(60 * time.Second)
	for {
		messages, total, changed := sink.Messages()
		amounts := depositAmounts(messages)
		missing := 0
		for amount := range committed {
			if amounts[amount] == 0 {
				missing++
			}
		}
		if missing == 0 {
			for amount, n := range amounts {
				c.That(committed[amount], "a message only for a stored deposit", fmt.Sprintf("a message for a deposit of %d, which the stream does not have", amount))
				c.That(n == 1, "one message id per deposit", fmt.Sprintf("%d different messages for the deposit of %d", n, amount))
			}
			c.t.Logf("crash test: sent %d, acknowledged %d, committed %d, delivered %d (each at least once: %d deliveries, %d duplicates)",
				sent.Load(), acked.Load(), len(committed), len(amounts), total, total-len(messages))
			break
		}
		select {
		case <-changed:
		case <-wait:
			second.explainTodo(c)
			c.Fail(fmt.Sprintf("a message delivered for each of the %d stored deposits within 60 s", len(committed)),
				fmt.Sprintf("%d without a message\nserver log: %s", missing, lastError(second.stderr.String())))
		}
	}
	second.kill()
}

// startChildWith is startChild with the child's relay delivering to webhook.
func startChildWith(c *Check, path, webhook string) *child {
	c.t.Helper()
	c.t.Setenv(serveWebhookEnv, webhook)
	return startChild(c, path)
}
