package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// The webhook sink is the other end of stage 5's relay (cmd/server -webhook URL):
// it takes each integration message the relay POSTs and prints it, a line each,
// so a presenter (or a learner) watches the messages arrive from outside the
// server's process. -status 503 refuses them all, to show retries, backoff and
// dead letters; start it again without, and the waiting messages arrive.

func init() {
	commands["sink"] = command{"sink [-addr A] [-status S]  print the messages stage 5's relay POSTs (-webhook http://A/messages); -status 503 refuses them", runSink}
}

// webhookSink counts and prints what it receives.
type webhookSink struct {
	mu     sync.Mutex
	status int            // what it answers
	seen   map[string]int // deliveries per message id
	out    io.Writer
	quiet  bool   // count, but print nothing (the demo, while it tells its story)
	prefix string // before each line printed
	total  int
}

func newWebhookSink(status int, out io.Writer) *webhookSink {
	return &webhookSink{status: status, seen: map[string]int{}, out: out}
}

func (s *webhookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST integration messages here", http.StatusMethodNotAllowed)
		return
	}
	var m struct {
		ID      string          `json:"message_id"`
		Type    string          `json:"type"`
		Subject string          `json:"subject"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&m); err != nil {
		http.Error(w, "not a JSON message: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	line := fmt.Sprintf("%s%s %s %s %s", s.prefix, time.Now().Format("15:04:05.000"), m.Type, short(m.Subject), m.Data)
	if s.status < 200 || s.status > 299 {
		if !s.quiet {
			fmt.Fprintf(s.out, "%s  refused with %d\n", line, s.status)
		}
		// Not http.Error: its trailing newline would end up, quoted, in the relay's last_error.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(s.status)
		_, _ = io.WriteString(w, "the sink refuses messages (-status)")
		return
	}
	s.total++
	s.seen[m.ID]++
	if !s.quiet {
		copyNote := ""
		if n := s.seen[m.ID]; n > 1 {
			copyNote = fmt.Sprintf("  (copy %d of message %s: at least once)", n, short(m.ID))
		}
		fmt.Fprintln(s.out, line+copyNote)
	}
	w.WriteHeader(s.status)
}

// counts is how many messages the sink acknowledged, and how many were copies.
func (s *webhookSink) counts() (total, copies int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total, s.total - len(s.seen)
}

func (s *webhookSink) setQuiet(quiet bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quiet = quiet
}

// short is the first 8 characters of an id.
func short(id string) string { return id[:min(8, len(id))] + "…" }

// serveSink listens on addr and serves s until the listener closes.
func serveSink(addr string, s *webhookSink) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w (try -addr 127.0.0.1:9091)", addr, err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return ln, nil
}

func runSink(args []string) error {
	fs := flag.NewFlagSet("sink", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9090", "address to listen on")
	status := fs.Int("status", http.StatusNoContent, "the status to answer: 2xx acknowledges, anything else refuses")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *status < 200 || *status > 599 {
		return errors.New("-status must be an HTTP status, 200 to 599")
	}
	s := newWebhookSink(*status, os.Stdout)
	ln, err := serveSink(*addr, s)
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Printf("Listening on http://%s/messages (answering %d). Start the server with:\n  make run-stage5 ARGS='-webhook http://%s/messages'   (SOLUTION=1 runs the solution)\nCtrl-C stops.\n",
		ln.Addr(), *status, ln.Addr())
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	<-signals
	total, copies := s.counts()
	fmt.Printf("\n%d messages acknowledged, %d of them copies\n", total, copies)
	return nil
}
