package bank

import (
	"context"

	"github.com/go-es-workshop/kit/internal/exercise"
)

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
	case r.unbuilt != nil:
		s.Error = r.unbuilt.Error() // running, at its checkpoint, until its Apply is written
	}
	return s
}

// waitIfUnbuilt is workshop scaffolding for an optional stretch task (4.5) whose
// projection's Apply is still the starter's stub. Instead of failing, the run waits
// at its checkpoint until the server stops, GET /projections shows the task in its
// error, and its queries answer 501. Its checkpoint does not move, so once the task
// is done the next start builds the read model from there: from the whole log.
// Any other error is returned as it is.
func (r *ProjectionRun) waitIfUnbuilt(ctx context.Context, err error) error {
	todo, ok := exercise.IsTodo(err)
	if !ok || !todo.Stretch {
		return err
	}
	r.mu.Lock()
	r.unbuilt = todo
	r.mu.Unlock()
	r.log.Warn("projection not built yet", "projection", r.Name, "todo", todo.Error())
	<-ctx.Done()
	return ctx.Err()
}

// notBuilt is the stub's error while the run waits for its Apply (waitIfUnbuilt), else nil.
func (r *ProjectionRun) notBuilt() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.unbuilt
}
