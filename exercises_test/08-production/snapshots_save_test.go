package production_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
	"github.com/google/uuid"
)

// Task 8.2: after a save, a snapshot is taken each time the stream passes a
// multiple of SnapshotEvery events; one that cannot be stored fails nothing.

func Test8_2_ASnapshotIsTakenEachTimeTheStreamPassesAMultiple(t *testing.T) {
	c := spec.For(t, stage)
	s := newSnapServer(t, 3)
	execAll(c, s.db.Write, `CREATE TABLE snapshot_writes (n INTEGER)`,
		`CREATE TRIGGER snapshot_inserted AFTER INSERT ON snapshots BEGIN INSERT INTO snapshot_writes VALUES (1); END`,
		`CREATE TRIGGER snapshot_updated AFTER UPDATE ON snapshots BEGIN INSERT INTO snapshot_writes VALUES (1); END`)
	started := time.Now().Add(-time.Second)
	id := c.OpenAccount(s.API, "checking", 300)
	want := map[int64]int64{1: 0, 2: 0, 3: 3, 4: 3, 5: 3, 6: 6, 7: 6} // the stream's version: the snapshot's (0: none)
	for version := int64(1); version <= 7; version++ {
		if version > 1 {
			s.deposit(c, id, 100)
		}
		c.Doing("save version %d of the stream, with a snapshot every 3 events", version)
		snap, found := snapshotOf(c, s.db, id)
		if want[version] == 0 {
			c.That(!found, "no snapshot yet", describeSnapshot(snap, found))
			continue
		}
		c.That(found && snap.Version == want[version], fmt.Sprintf("a snapshot at version %d", want[version]), describeSnapshot(snap, found))
		var state, wantState map[string]any
		c.NoError(json.Unmarshal([]byte(snap.State), &state), "decoding the snapshot's state")
		wantText := stateOf(id, 100*(want[version]-1), 300)
		c.NoError(json.Unmarshal([]byte(wantText), &wantState), "decoding the state expected")
		c.That(reflect.DeepEqual(state, wantState),
			fmt.Sprintf("the whole state after the event at version %d, every field apply sets (a field left out comes back as its zero: an overdraft of 0): %s", want[version], wantText), snap.State)
		c.Equal(bank.AccountStateVersion, snap.StateVersion, "the snapshot's state version (AccountStateVersion)")
		taken, err := time.Parse(time.RFC3339Nano, snap.TakenAt)
		c.That(err == nil && taken.After(started) && !taken.After(time.Now()), "taken_at: when it was taken, now", snap.TakenAt)
		c.That(strings.HasSuffix(snap.TakenAt, "Z"), "taken_at in UTC (ending in Z), as every time the kit stores", snap.TakenAt)
	}
	c.Equal(2, count(c, s.db, "snapshot_writes"), "writes to the snapshots table (at versions 3 and 6, none between)")
}

func Test8_2_ASaveOfSeveralEventsTakesASnapshotWhenItPassesAMultiple(t *testing.T) {
	c := spec.For(t, stage)
	a := newRelayApp(c, t, fastRelay())
	log, serverLog := spec.NewServerLog()
	snapshots, err := bank.NewSnapshots(c.Ctx(), a.db)
	c.NoError(err, "NewSnapshots")
	repo := bank.NewAccountRepository(a.store, bank.NewAccountFactory(), snapshots, 3, bank.NewMetrics(), log)
	id := a.open(c, "Ada Lovelace")
	version := int64(1)
	for _, step := range []struct {
		deposits int
		want     int64 // the snapshot's version after the save; 0 for none
	}{{1, 0}, {2, 4}, {1, 4}, {1, 6}, {3, 9}, {2, 9}, {2, 13}, {6, 19}} {
		history, err := a.store.Load(c.Ctx(), bank.StreamID(id.String()))
		c.NoError(err, "reading the stream")
		acc, err := bank.NewAccountFactory().Reconstitute(history) // not repo.Load: this test is of the save alone
		c.NoError(err, "Reconstitute")
		for range step.deposits {
			c.NoError(acc.Deposit(10, "test"), "Deposit")
		}
		c.Doing("save %d events at once, from version %d to %d, with a snapshot every 3 events", step.deposits, version, version+int64(step.deposits))
		_, err = repo.Save(c.Ctx(), acc, bank.Metadata{CorrelationID: uuid.NewString()}, nil)
		c.NoError(err, "Save")
		version += int64(step.deposits)
		snap, found := snapshotOf(c, a.db, id.String())
		if step.want == 0 {
			c.That(!found, "no snapshot yet", describeSnapshot(snap, found))
			continue
		}
		c.That(found && snap.Version == step.want,
			fmt.Sprintf("a snapshot at version %d (the save passed a multiple of 3: the snapshot is of the state it reached)", step.want), describeSnapshot(snap, found))
	}
	c.That(!strings.Contains(serverLog.String(), "level=WARN"), "no warning", serverLog.String())
}

func Test8_2_ASnapshotThatCannotBeStoredDoesNotFailTheCommand(t *testing.T) {
	c := spec.For(t, stage)
	s := newSnapServer(t, 3)
	execAll(c, s.db.Write, `CREATE TRIGGER full_disk BEFORE INSERT ON snapshots BEGIN SELECT RAISE(ABORT, 'the disk is full'); END`)
	id := c.OpenAccount(s.API, "checking", 0)
	c.Doing("deposit twice (to version 3, where a snapshot is due) while the snapshots table refuses every write")
	s.deposit(c, id, 100)
	s.deposit(c, id, 100)
	balance, version := s.balance(c, id)
	c.That(balance == 200 && version == 3, "balance 200 at version 3: the events are stored whatever became of the snapshot", fmt.Sprintf("balance %d at version %d", balance, version))
	c.That(strings.Contains(warnings(s.Log()), "the disk is full"), "a warning (level=WARN: what an operator alerts on) in the log with the snapshot's error (the disk is full)", warnings(s.Log()))
}

func TestGuard_NoSnapshotIsTakenWhenSnapshotEveryIsBelowZero(t *testing.T) {
	c := spec.Guard(t, stage, "account_repository.go (snapshotAfterSave)", "SnapshotEvery below zero takes no snapshot")
	s := newSnapServer(t, -1)
	id := c.OpenAccount(s.API, "checking", 0)
	c.Doing("deposit 7 times on a server started with SnapshotEvery -1 (never)")
	for range 7 {
		s.deposit(c, id, 100)
	}
	snap, found := snapshotOf(c, s.db, id)
	c.That(!found, "no snapshot", describeSnapshot(snap, found))
}

func Test8_2_TheDefaultIsASnapshotEvery100Events(t *testing.T) {
	c := spec.For(t, stage)
	a := newRelayApp(c, t, fastRelay()) // Options{}: the default
	id := a.open(c, "Ada Lovelace")
	c.Doing("deposit 98 times: version 99")
	for range 98 {
		a.deposit(c, id, 1)
	}
	snap, found := snapshotOf(c, a.db, id.String())
	c.That(!found || snap.Version != 99, "no snapshot at version 99", describeSnapshot(snap, found))
	c.Doing("deposit once more: version 100")
	a.deposit(c, id, 1)
	_, err := a.Queries.Account(c.Ctx(), id)
	c.NoError(err, "loading the account")
	snap, found = snapshotOf(c, a.db, id.String())
	c.That(found && snap.Version == 100, "a snapshot at version 100 (Options{}: SnapshotEvery 0 is the default, 100)", describeSnapshot(snap, found))
}

func TestGuard_ARepositoryGivenEvery0TakesNoSnapshot(t *testing.T) {
	c := spec.Guard(t, stage, "account_repository.go (snapshotAfterSave)", "a repository given every 0 (or less) takes no snapshot, and never divides by it")
	a := newRelayApp(c, t, fastRelay())
	snapshots, err := bank.NewSnapshots(c.Ctx(), a.db)
	c.NoError(err, "NewSnapshots")
	log, _ := spec.NewServerLog()
	repo := bank.NewAccountRepository(a.store, bank.NewAccountFactory(), snapshots, 0, bank.NewMetrics(), log)
	id := a.open(c, "Ada Lovelace")
	c.Doing("load and save a deposit through NewAccountRepository(..., every 0, ...)")
	acc, err := repo.Load(c.Ctx(), id)
	c.NoError(err, "Load")
	c.NoError(acc.Deposit(10, "test"), "Deposit")
	_, err = repo.Save(c.Ctx(), acc, bank.Metadata{CorrelationID: uuid.NewString()}, nil)
	c.NoError(err, "Save")
	snap, found := snapshotOf(c, a.db, id.String())
	c.That(!found, "no snapshot", describeSnapshot(snap, found))
}

func TestGuard_ASaveThatLosesTheRaceTakesNoSnapshot(t *testing.T) {
	c := spec.Guard(t, stage, "account_repository.go (Save)", "a snapshot is taken only of what was committed: a save refused for a conflict takes none")
	a := newRelayApp(c, t, fastRelay())
	snapshots, err := bank.NewSnapshots(c.Ctx(), a.db)
	c.NoError(err, "NewSnapshots")
	log, _ := spec.NewServerLog()
	repo := bank.NewAccountRepository(a.store, bank.NewAccountFactory(), snapshots, 2, bank.NewMetrics(), log)
	id := a.open(c, "Ada Lovelace")
	history, err := a.store.Load(c.Ctx(), bank.StreamID(id.String()))
	c.NoError(err, "reading the stream")
	stale, err := bank.NewAccountFactory().Reconstitute(history)
	c.NoError(err, "Reconstitute")
	a.deposit(c, id, 100) // another command takes version 2 first
	c.NoError(stale.Deposit(5000, "test"), "Deposit")
	c.Doing("save a deposit of 5000 at version 2 (a snapshot is due every 2 events) after another command stored version 2")
	_, err = repo.Save(c.Ctx(), stale, bank.Metadata{CorrelationID: uuid.NewString()}, nil)
	c.ErrorIs(err, bank.ErrConcurrency, "the conflict")
	snap, found := snapshotOf(c, a.db, id.String())
	c.That(!found, "no snapshot: a snapshot of the state the conflict refused (balance 5000) would fit version 2 and be read as the truth", describeSnapshot(snap, found))
}
