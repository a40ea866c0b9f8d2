package production_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// Guards of what stage 8 gives around its tasks: Restore (the account from a
// snapshot and the events after it) and the snapshots table.

// storyOfAda is Ada's stream: opened with an overdraft of 500, 1000 in, 300
// out, 200 in (versions 1 to 4).
func storyOfAda() []bank.Envelope {
	return history(openedAs(bank.Checking, 500), bank.MoneyDeposited{Amount: 1000}, bank.MoneyWithdrawn{Amount: 300}, bank.MoneyDeposited{Amount: 200})
}

// adaAt2 is a snapshot of Ada's account at version 2: balance 1000.
func adaAt2(state string) bank.Snapshot {
	return bank.Snapshot{StreamID: bank.StreamID(adaID), Version: 2, StateVersion: bank.AccountStateVersion, State: []byte(state)}
}

const adaStateAt2 = `{"id":"` + adaID + `","owner":"Ada Lovelace","holder_type":"person","kind":"checking","currency":"EUR","balance":1000,"overdraft_limit":500,"status":"open"}`

func TestGuard_RestoreRebuildsTheAccountReconstituteDoes(t *testing.T) {
	c := spec.Guard(t, stage, "account_snapshot.go (Restore)", "a snapshot and the events after it make the account the whole stream makes")
	f := bank.NewAccountFactory()
	whole, err := f.Reconstitute(storyOfAda())
	c.NoError(err, "Reconstitute (the whole stream)")
	c.Doing("Restore Ada's account from a snapshot at version 2 and the events from version 2 on")
	restored, err := f.Restore(adaAt2(adaStateAt2), storyOfAda()[1:])
	c.NoError(err, "Restore")
	c.Equal(whole.View(), restored.View(), "the account")
	c.Equal(whole.Version(), restored.Version(), "its version")
	c.Doing("withdraw 1400 from the restored account (balance 900, overdraft 500)")
	c.NoError(restored.Withdraw(1400, "rent"), "Withdraw: the overdraft limit came from the snapshot")
	c.Doing("Restore it from the snapshot and only the event at its version (nothing after it)")
	at2, err := f.Restore(adaAt2(adaStateAt2), storyOfAda()[1:2])
	c.NoError(err, "Restore")
	c.That(at2.View().Balance == 1000 && at2.Version() == 2, "balance 1000 at version 2", fmt.Sprintf("balance %d at version %d", at2.View().Balance, at2.Version()))
}

func TestGuard_RestoreRefusesWhatDoesNotFit(t *testing.T) {
	c := spec.Guard(t, stage, "account_snapshot.go (Restore)", "a snapshot that does not fit its stream is refused, never used")
	story := storyOfAda()
	gap := append(append([]bank.Envelope{}, story[1:3]...), story[3])
	gap[2].Version = 5
	other := append([]bank.Envelope{}, story[1:]...)
	other[0].StreamID = bank.StreamID(bobID)
	unknown := append(append([]bank.Envelope{}, story[1:3]...), bank.Envelope{StreamID: bank.StreamID(adaID), Version: 4})
	opensAgain := append(append([]bank.Envelope{}, story[1:3]...), bank.Envelope{StreamID: bank.StreamID(adaID), Version: 4, Event: openedAs(bank.Checking, 0)})
	for _, bad := range []struct {
		what  string
		state string
		from  []bank.Envelope
	}{
		{"a state that is not JSON", `{"id":`, story[1:]},
		{"a state with a field this code does not know", adaStateAt2[:len(adaStateAt2)-1] + `,"frozen":true}`, story[1:]},
		{"the state of another account", `{"id":"` + bobID + `","owner":"Bob","holder_type":"person","kind":"checking","currency":"EUR","balance":0,"overdraft_limit":0,"status":"open"}`, story[1:]},
		{"no event at all", adaStateAt2, nil},
		{"the events from version 3: the snapshot's own event is missing", adaStateAt2, story[2:]},
		{"the events from version 1", adaStateAt2, story},
		{"the event at version 2 of another stream", adaStateAt2, other},
		{"a gap after the snapshot (versions 2, 3, 5)", adaStateAt2, gap},
		{"an AccountOpened after the snapshot", adaStateAt2, opensAgain},
		{"an event after the snapshot that the account cannot apply (none)", adaStateAt2, unknown},
	} {
		c.Doing("Restore Ada's account from a snapshot at version 2, given %s", bad.what)
		acc, err := bank.NewAccountFactory().Restore(adaAt2(bad.state), bad.from)
		c.ErrorIs(err, bank.ErrCorruptHistory, fmt.Sprintf("an error wrapping ErrCorruptHistory, not %+v", acc))
	}
}

func TestGuard_AnOlderSnapshotNeverReplacesANewerOne(t *testing.T) {
	c := spec.Guard(t, stage, "snapshots.go (Put and Latest)", "the snapshots table keeps each stream's latest snapshot of each shape")
	snaps, err := bank.NewSnapshots(c.Ctx(), spec.OpenDB(t))
	c.NoError(err, "NewSnapshots")
	stream := bank.StreamID(adaID)
	taken := time.Date(2024, 5, 1, 10, 0, 0, 123456789, time.FixedZone("CEST", 2*3600))
	put := func(version int64, stateVersion int) {
		c.NoError(snaps.Put(c.Ctx(), bank.Snapshot{StreamID: stream, Version: version, StateVersion: stateVersion,
			State: []byte(fmt.Sprintf(`{"v":%d}`, version)), TakenAt: taken}), "Put")
	}
	latest := func(stateVersion int) string {
		snap, found, err := snaps.Latest(c.Ctx(), stream, stateVersion)
		c.NoError(err, "Latest")
		if !found {
			return "none"
		}
		c.That(snap.TakenAt.Equal(taken), "taken_at as it was stored, "+taken.String(), snap.TakenAt.String())
		return fmt.Sprintf("version %d, state %s", snap.Version, snap.State)
	}
	c.Doing("Put a snapshot at version 6, then Latest")
	put(6, 1)
	c.Equal(`version 6, state {"v":6}`, latest(1), "the latest snapshot")
	c.Doing("Put one at version 3 (a slower command finishing last), then Latest")
	put(3, 1)
	c.Equal(`version 6, state {"v":6}`, latest(1), "the latest snapshot: still the one at version 6")
	c.Doing("Put one at version 9, then Latest")
	put(9, 1)
	c.Equal(`version 9, state {"v":9}`, latest(1), "the latest snapshot")
	c.Doing("Latest of another shape (state version 2)")
	c.Equal("none", latest(2), "no snapshot of that shape")
	c.Doing("Put one of the next shape (state version 2) at version 4, then Latest of each shape")
	put(4, 2)
	c.Equal(`version 4, state {"v":4}`, latest(2), "the snapshot of the new shape: it replaces one of the old, whatever its version")
	c.Equal("none", latest(1), "no snapshot of the old shape")
	c.Doing("Latest of a stream that has no snapshot")
	_, found, err := snaps.Latest(c.Ctx(), bank.StreamID(bobID), 1)
	c.NoError(err, "Latest")
	c.That(!found, "none", "a snapshot")
}

func TestGuard_ASnapshotThatCannotBeReadIsAnErrorWithItsCause(t *testing.T) {
	c := spec.Guard(t, stage, "snapshots.go (Latest)", "Latest returns the database's error when it cannot read the snapshot")
	db := spec.OpenDB(t)
	snaps, err := bank.NewSnapshots(c.Ctx(), readsThrough(c, t, db, failFirst("SELECT version, state, taken_at FROM snapshots")))
	c.NoError(err, "NewSnapshots")
	c.Doing("Latest while the database fails the read")
	_, found, err := snaps.Latest(c.Ctx(), bank.StreamID(adaID), bank.AccountStateVersion)
	c.ErrorIs(err, errInjected, "the read's error, wrapped")
	c.That(!found, "no snapshot", "a snapshot")
}
