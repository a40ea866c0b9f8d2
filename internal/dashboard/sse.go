package dashboard

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// A page keeps one Server-Sent Events stream open (GET live). Each event is a
// whole snapshot, so a page that missed some (it was slow, or reconnected) is
// right again with the next one.

const (
	// keepAlive is how often an idle stream gets a comment line, so that a
	// browser that went away is noticed (the write fails) and dropped.
	keepAlive = 15 * time.Second
	// reconnectMillis tells the browser how soon to reconnect after the stream ends.
	reconnectMillis = 1000
)

// serveLive streams snapshots to one page until it leaves, a write to it fails
// or times out, or the dashboard stops.
func (d *Dashboard) serveLive(w http.ResponseWriter, r *http.Request) {
	s := d.hub.subscribe()
	if s == nil {
		http.Error(w, "the dashboard is stopping", http.StatusServiceUnavailable)
		return
	}
	defer d.hub.unsubscribe(s)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // a proxy in front must not hold the events back
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if d.write(rc, w, fmt.Sprintf("retry: %d\n\n", reconnectMillis)) != nil {
		return
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		var err error
		select {
		case <-r.Context().Done():
			return
		case snapshot, open := <-s.mailbox:
			if !open {
				return
			}
			err = d.write(rc, w, "event: snapshot\ndata: "+string(snapshot)+"\n\n")
		case <-tick.C:
			err = d.write(rc, w, ": still here\n\n")
		}
		if err != nil {
			return
		}
	}
}

// write sends text to the page now. A page that does not take it within
// writeTimeout (its tab is frozen, its network gone) fails the write and is
// dropped; only its own goroutine ever waited for it.
func (d *Dashboard) write(rc *http.ResponseController, w http.ResponseWriter, text string) error {
	if err := rc.SetWriteDeadline(time.Now().Add(d.writeTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if _, err := w.Write([]byte(text)); err != nil {
		return err
	}
	return rc.Flush()
}
