package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// The relay-crash demo's webhook sink: tools/kit/sink.go's sink, with one
// message taken and left unanswered, so that the relay is certain to be in the
// middle of a delivery when it is killed.

// holdingSink is a webhook sink that takes the heldAt-th message and does not
// answer it until released, as a receiver that is slow to acknowledge.
type holdingSink struct {
	inner   *webhookSink
	heldAt  int
	mu      sync.Mutex
	n       int
	heldID  string
	held    chan struct{} // closed when the held message has arrived
	release chan struct{} // closed to let it through
}

func newHoldingSink(heldAt int) *holdingSink {
	return &holdingSink{inner: newWebhookSink(http.StatusNoContent, io.Discard), heldAt: heldAt,
		held: make(chan struct{}), release: make(chan struct{})}
}

func (h *holdingSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20)) // read before holding: the sender may die meanwhile
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	h.mu.Lock()
	h.n++
	hold := h.n == h.heldAt
	if hold {
		h.heldID = r.Header.Get("X-Message-ID")
	}
	h.mu.Unlock()
	if hold {
		close(h.held)
		<-h.release // received, not yet acknowledged
	}
	h.inner.ServeHTTP(w, r)
}

// deliveries is how many times the sink took the message with id.
func (h *holdingSink) deliveries(id string) int {
	h.inner.mu.Lock()
	defer h.inner.mu.Unlock()
	return h.inner.seen[id]
}

// serveHandler serves h on a port the OS picks, until the listener closes.
func serveHandler(h http.Handler) (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return ln, nil
}
