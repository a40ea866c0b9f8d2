package production_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// parkedByBuilds lists what a projection's builds parked, live or not: "build position" each.
func parkedByBuilds(c *spec.Check, a *app, name string) string {
	var list string
	c.NoError(a.db.Read.QueryRow(`SELECT COALESCE(group_concat(build || ' ' || position, ', '), '') FROM
		(SELECT build, position FROM consumer_dead_letters WHERE consumer = ? ORDER BY id)`, name).Scan(&list), "reading consumer_dead_letters")
	return list
}

func TestGuard_AnOldVersionServesAsItIsUntilTheNewOneTakesOver(t *testing.T) {
	c := spec.Guard(t, stage, "projection_rebuild.go", "an old version serves as it is until the new one takes over")
	a := newApp(c, t)
	storyLog(c, a)
	spec.InsertEvent(c, a.db, bank.StreamID(bobID), 3, "MoneyTeleported", `{}`) // poison, at position 6
	first := a.projector(c, tallyOf(1))
	stop := runProjector(t, first)
	c.NoError(<-waitFor(c, first.Projection("tally"), 6), "WaitFor(6) on version 1")
	stop()
	later := a.appendMore(c, ada, bank.MoneyDeposited{Amount: 7})[0]
	c.Doing("start version 2 (a new column), and look while its rebuild is half way")
	v2, g := gated(tallyOf(2, "largest"), 2)
	second := a.projector(c, v2)
	runProjector(t, second)
	g.wait(c)
	s := a.statusOf(c, second, "tally")
	c.That(s.Version == 1 && s.Checkpoint == 6 && s.Rebuild != nil && s.Rebuild.Version == 2,
		fmt.Sprintf("version 1 live at checkpoint 6, not at %d: the new code applies nothing to the old version's build (the shape it writes is not that build's)", later.Position), jsonOf(s))
	c.Equal("blue 6", parkedByBuilds(c, a, "tally"), "what the tally's builds parked (build and position: the poison event, parked by version 1's blue build; "+
		"a rebuild starts without the green build's dead letters, and leaves the live build's alone)")
	c.Doing("WaitFor(%d), the deposit the old version's build never gets, while the rebuild is half way", later.Position)
	done := waitFor(c, second.Projection("tally"), later.Position)
	select {
	case err := <-done:
		c.Fail("WaitFor still waiting: the live build (version 1) is at 6", fmt.Sprintf("it returned: %v", err))
	case <-time.After(100 * time.Millisecond):
	}
	close(g.open)
	select {
	case err := <-done:
		c.NoError(err, fmt.Sprintf("WaitFor(%d) (answered at the switch: version 2's build has the deposit)", later.Position))
	case <-time.After(spec.Patience):
		c.Fail("WaitFor returning at the switch", "still waiting after "+spec.Patience.String())
	}
	s = waitSwitched(c, a, second, "tally", "green")
	c.That(s.Version == 2 && s.Checkpoint == later.Position, fmt.Sprintf("version 2 live at checkpoint %d", later.Position), jsonOf(s))
	parked := a.consumerDeadLetters(c, "tally")
	c.That(len(parked) == 1 && parked[0].Build == "green" && parked[0].Position == 6, "one dead letter listed: the poison, parked again by the green build", jsonOf(parked))
}

// A reader waiting on an old version's build waits for something only the
// switch brings: the switch must wake it, even when no event moves after it.
func TestGuard_AReaderWaitingOnTheOldVersionIsAnsweredAtTheSwitch(t *testing.T) {
	c := spec.Guard(t, stage, "projection_rebuild.go (promote)", "a reader waiting on an old version's build is answered at the switch")
	wrapped, conn := failingSQLite(c, t, spec.OpenDB(t))
	log, _ := spec.NewServerLog()
	store, err := bank.NewEventStore(c.Ctx(), wrapped, bank.NewRegistry())
	c.NoError(err, "NewEventStore")
	first, err := bank.NewProjector(c.Ctx(), wrapped, store, log, tallyOf(1))
	c.NoError(err, "NewProjector (version 1)")
	opening, err := store.Append(c.Ctx(), bank.StreamID(adaID), 0, bank.Metadata{CorrelationID: "test"}, opened(ada, "Ada Lovelace", "EUR"))
	c.NoError(err, "appending the opening (test setup)")
	c.NoError(first.Projection("tally").Handle(c.Ctx(), opening[0]), "version 1 applies the opening")
	deposit, err := store.Append(c.Ctx(), bank.StreamID(adaID), 1, bank.Metadata{CorrelationID: "test"}, bank.MoneyDeposited{Amount: 7})
	c.NoError(err, "appending a deposit (test setup)")
	atSwitch, release := make(chan struct{}), make(chan struct{})
	conn.beforeExec = func(query string) {
		if strings.HasPrefix(strings.TrimSpace(query), "UPDATE read_models SET live") {
			close(atSwitch)
			<-release
		}
	}
	c.Doing("start version 2; while its rebuild, caught up, switches, WaitFor(%d) on the live version 1, which never gets the deposit", deposit[0].Position)
	second, err := bank.NewProjector(c.Ctx(), wrapped, store, log, tallyOf(2, "largest"))
	c.NoError(err, "NewProjector (version 2)")
	runProjector(t, second)
	select {
	case <-atSwitch:
	case <-time.After(spec.Patience):
		c.Fail("the rebuild switching", "no switch within "+spec.Patience.String())
	}
	done := waitFor(c, second.Projection("tally"), deposit[0].Position)
	time.Sleep(100 * time.Millisecond) // WaitFor has seen version 1 at 1, and waits
	close(release)
	select {
	case err := <-done:
		c.NoError(err, fmt.Sprintf("WaitFor(%d), answered at the switch: version 2's build has the deposit, and no event will move after it", deposit[0].Position))
	case <-time.After(spec.Patience):
		c.Fail("WaitFor returning at the switch", "still waiting after "+spec.Patience.String())
	}
}

// The switch records the new build's version with it (read_models): a server
// started after it must find version 2 live and build nothing. Without the
// version it would rebuild at every start, its live model frozen meanwhile.
func TestGuard_TheSwitchRecordsTheNewVersionForTheNextStart(t *testing.T) {
	c := spec.Guard(t, stage, "projection_rebuild.go", "the switch records the new version for the next start")
	a := newApp(c, t)
	storyLog(c, a)
	first := a.projector(c, tallyOf(1))
	stop := runProjector(t, first)
	c.NoError(<-waitFor(c, first.Projection("tally"), 5), "WaitFor(5) on version 1")
	stop()
	c.Doing("run version 2 until its rebuild has switched, stop it, and start version 2 again")
	second := a.projector(c, tallyOf(2, "largest"))
	stop = runProjector(t, second)
	waitSwitched(c, a, second, "tally", "green")
	stop()
	var liveVersion int
	c.NoError(a.db.Read.QueryRow(`SELECT live_version FROM read_models WHERE projection = 'tally'`).Scan(&liveVersion), "reading read_models")
	c.Equal(2, liveVersion, "read_models.live_version after the switch")
	third := a.projector(c, tallyOf(2, "largest"))
	s := a.statusOf(c, third, "tally")
	c.That(s.Version == 2 && s.Build == "green" && s.Rebuild == nil, "version 2 live on green after the restart, and no rebuild", jsonOf(s))
}
