package bank

import "context"

// What GET /projections shows: for each projection, how far it got, how far the log
// is, and whether it still runs. The lag is what eventual consistency costs right
// now, in events.

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
	Version    int    `json:"version"`
	Checkpoint int64  `json:"checkpoint"` // the position of the last event it applied
	Head       int64  `json:"head"`       // the position of the last event in the log
	Lag        int64  `json:"lag"`        // head - checkpoint
	Status     string `json:"status"`     // running, failed (it stopped on Error) or stopped (the server is stopping)
	Error      string `json:"error,omitempty"`
}

// status is the projection as GET /projections shows it, with the log at head.
func (r *ProjectionRun) status(head int64) ProjectionStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := ProjectionStatus{Name: r.Name, Version: r.Version, Checkpoint: r.checkpoint, Head: head,
		Lag: max(head-r.checkpoint, 0), Status: "running"}
	switch {
	case r.stopped != nil && r.failed:
		s.Status, s.Error = "failed", r.stopped.Error()
	case r.stopped != nil:
		s.Status = "stopped"
	}
	return s
}
