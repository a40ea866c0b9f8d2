package dashboard

import "sync"

// hub hands the watcher's snapshots to the browsers. Each browser has a mailbox
// of one: a new snapshot replaces one it has not taken yet, so a slow browser
// skips to the newest state and the watcher never waits for anyone.
type hub struct {
	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	last   []byte        // the newest snapshot, for a browser that arrives now
	wake   chan struct{} // tells an idle watcher that someone is watching
	closed bool          // the dashboard has stopped: no one can subscribe
}

// subscriber is one open page.
type subscriber struct {
	mailbox chan []byte // capacity 1; closed when the dashboard stops
}

func newHub() *hub {
	return &hub{subs: map[*subscriber]struct{}{}, wake: make(chan struct{}, 1)}
}

// subscribe adds a page, with the newest snapshot in its mailbox if there is
// one. It returns nil once the dashboard has stopped.
func (h *hub) subscribe() *subscriber {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	s := &subscriber{mailbox: make(chan []byte, 1)}
	if h.last != nil {
		s.mailbox <- h.last
	}
	h.subs[s] = struct{}{}
	select {
	case h.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
	return s
}

// unsubscribe drops a page that left. Dropping one twice is harmless.
func (h *hub) unsubscribe(s *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, s)
}

// watched reports how many pages are open.
func (h *hub) watched() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// publish puts a snapshot in every mailbox without ever blocking: a mailbox
// still holding an older snapshot gets this one instead.
func (h *hub) publish(snapshot []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last = snapshot
	for s := range h.subs {
		select {
		case <-s.mailbox: // not taken yet: it is stale now
		default:
		}
		s.mailbox <- snapshot // cannot block: only publish fills mailboxes, under h.mu
	}
}

// forget drops the newest snapshot, so a page that arrives after the watcher
// went idle waits for a fresh one rather than seeing an old state as live.
func (h *hub) forget() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last = nil
}

// close ends every page's stream: the dashboard is stopping.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		delete(h.subs, s)
		close(s.mailbox)
	}
}
