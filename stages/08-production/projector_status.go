package bank

import "context"

// What GET /projections shows: for each projection, how far its live build got,
// how far the log is, whether it still runs, and a rebuild's progress. The lag is
// what eventual consistency costs right now, in events.

// Statuses reports every projection, for GET /projections.
func (p *Projector) Statuses(ctx context.Context) ([]ProjectionStatus, error) {
	head, err := p.store.Head(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ProjectionStatus, len(p.runs))
	for i, r := range p.runs {
		out[i] = r.status(head)
	}
	return out, nil
}

// ProjectionStatus is one projection as GET /projections shows it.
type ProjectionStatus struct {
	Name       string `json:"name"`
	Version    int    `json:"version"`    // of the projection that built the live read model
	Build      string `json:"build"`      // the live build: blue or green
	Checkpoint int64  `json:"checkpoint"` // the position of the last event it applied
	Head       int64  `json:"head"`       // the position of the last event in the log
	Lag        int64  `json:"lag"`        // head - checkpoint
	Status     string `json:"status"`     // running, failed (it stopped on Error) or stopped (the server is stopping)
	Error      string `json:"error,omitempty"`
	// Rebuild is the build being filled beside the live one, nil when there is none.
	Rebuild *RebuildStatus `json:"rebuild,omitempty"`
}

// RebuildStatus is how far a rebuild has got.
type RebuildStatus struct {
	Build      string `json:"build"`
	Version    int    `json:"version"`
	Checkpoint int64  `json:"checkpoint"`
	Lag        int64  `json:"lag"`
}

// status is the projection as GET /projections shows it, with the log at head.
func (r *ProjectionRun) status(head int64) ProjectionStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.statusLocked(head)
}

// statusLocked is status for a caller that holds r.mu.
func (r *ProjectionRun) statusLocked(head int64) ProjectionStatus {
	s := ProjectionStatus{Name: r.Name, Version: r.live.version, Build: r.live.color, Checkpoint: r.live.checkpoint,
		Head: head, Lag: max(head-r.live.checkpoint, 0), Status: "running"}
	if r.next != nil {
		s.Rebuild = &RebuildStatus{Build: r.next.color, Version: r.next.version, Checkpoint: r.next.checkpoint,
			Lag: max(head-r.next.checkpoint, 0)}
	}
	switch {
	case r.stopped != nil && r.failed:
		s.Status, s.Error = "failed", r.stopped.Error()
	case r.stopped != nil:
		s.Status = "stopped"
	}
	return s
}
