package production_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

func TestGuard_AnEventHandedOverDuringTheSwitchLeavesTheNewBuildLive(t *testing.T) {
	c := spec.Guard(t, stage, "projection_rebuild.go", "an event handed over during the switch leaves the new build live")
	c.KeptBy("projector.go (Handle, advance) and projection_rebuild.go (promote)")
	a := newApp(c, t)
	var projector *bank.Projector
	switched := func() bool {
		statuses, err := projector.Statuses(context.Background())
		return err == nil && statuses[0].Build == "green" && statuses[0].Rebuild == nil
	}
	p, _ := tally("tally", func(bank.Envelope) error { // the event handed over waits, in its transaction, until the switch is done
		for deadline := time.Now().Add(spec.Patience); !switched(); time.Sleep(time.Millisecond) { // polling a condition, bounded
			if time.Now().After(deadline) {
				return errors.New("the switch did not come")
			}
		}
		return nil
	})
	projector = a.projector(c, p)
	_, err := projector.Rebuild(c.Ctx(), "tally") // on an empty log: the green build has caught up at once
	c.NoError(err, "Rebuild")
	c.Doing("run the projector while another process holds the write lock: the switch's transaction waits for it")
	other := takeTheWriteLock(c, t, a.db)
	runProjector(t, projector)
	for deadline := time.Now().Add(spec.Patience); a.db.Write.Stats().InUse == 0; time.Sleep(time.Millisecond) { // polling, bounded
		if time.Now().After(deadline) {
			c.Fail("the switch waiting for the write lock", "it did not ask for it")
		}
	}
	c.Doing("hand the blue build an event (Handle) while the switch waits, then let the other process go: " +
		"the switch commits, and the event is applied to the blue build it was handed to, after the projector made green live")
	waits := a.db.Write.Stats().WaitCount
	handled := make(chan error, 1)
	ctx := c.Ctx()
	go func() {
		handled <- projector.Projection("tally").Handle(ctx, logOf(opened(ada, "Ada Lovelace", "EUR"))[0])
	}()
	for deadline := time.Now().Add(spec.Patience); a.db.Write.Stats().WaitCount == waits; time.Sleep(time.Millisecond) { // polling, bounded
		if time.Now().After(deadline) {
			c.Fail("Handle waiting for the write connection, which the switch holds", "it did not ask for it")
		}
	}
	c.NoError(other.commit(), "the other process's commit")
	select {
	case err := <-handled:
		c.NoError(err, "Handle")
	case <-time.After(spec.Patience):
		c.Fail("Handle returning", "still waiting after "+spec.Patience.String())
	}
	s := a.statusOf(c, projector, "tally")
	c.That(s.Status == "running" && s.Build == "green" && s.Rebuild == nil,
		"the projection running on green (a build that is neither live nor being built moves nothing in memory)", fmt.Sprintf("%+v", s))
}
