package production_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// Task 8.1: an account is loaded from its latest snapshot and the events after
// it; a snapshot that cannot be used is ignored, and the stream replayed.

func Test8_1_ALoadStartsAtTheSnapshotAndAppliesOnlyTheEventsAfterIt(t *testing.T) {
	c := spec.For(t, stage)
	s, id := withMarkedSnapshot(c, t)
	c.Doing("GET an account of 7 events (balance 1500) with a snapshot at version 6 that says 777 (the events say 500)")
	balance, version := s.balance(c, id)
	c.That(balance == 1777 && version == 7,
		"balance 1777 at version 7: the snapshot's 777, then the one event after it (1000)", explainSnapshotLoad(balance, version))

	c.Doing("deposit 1 more, then GET the account: the command loads it the same way")
	s.deposit(c, id, 1)
	balance, version = s.balance(c, id)
	c.That(balance == 1778 && version == 8,
		"balance 1778 at version 8: the snapshot's 777, then 1000 and 1, each once", explainSnapshotLoad(balance, version))
}

// explainSnapshotLoad names the mistake a balance points to.
func explainSnapshotLoad(balance, version int64) string {
	got := fmt.Sprintf("balance %d at version %d", balance, version)
	switch balance {
	case 1500, 1501:
		return got + ": the whole stream was replayed, the snapshot not read (or its events did not fit it: LoadFrom from the snapshot's version, then Restore)"
	case 777, 778:
		return got + ": the snapshot alone; the events after it were not applied"
	case 2277, 2278:
		return got + ": the events from version 2 were applied on top of the snapshot, which holds them already"
	}
	return got
}

func Test8_1_TheLoadsFromASnapshotAreCounted(t *testing.T) {
	c := spec.For(t, stage)
	s, id := withMarkedSnapshot(c, t)
	c.Doing("GET the account with a snapshot at version 6 of 7, then GET /metrics")
	s.balance(c, id)
	m := scrape(c, s.API)
	loads, events := `bank_account_loads_total{from="snapshot"}`, `bank_account_load_events_total{from="snapshot"}`
	c.That(m.value(loads) == 1, loads+" 1: one load began at a snapshot", m.lines("bank_account_load"))
	c.That(m.value(events) == 1, events+" 1: it applied one event (version 7), not the snapshot's own", m.lines("bank_account_load"))
}

func Test8_1_ASnapshotThatDoesNotFitIsIgnoredAndTheStreamReplayed(t *testing.T) {
	for _, bad := range []struct{ what, set string }{
		{"it is not JSON", `state = 'not json'`},
		{"it holds a field this code does not know", `state = json_set(state, '$.overdrawn_since', '2024-05-01')`},
		{"it is the state of another account", `state = json_set(state, '$.id', '` + bobID + `')`},
		{"it is at version 9, which the stream of 7 never reached", `version = 9`},
		{"it is at version 0, before the account was opened", `version = 0`},
		{"its taken_at cannot be read", `taken_at = 'last Tuesday'`},
	} {
		t.Run(bad.what, func(t *testing.T) {
			c := spec.For(t, stage)
			s, id := withMarkedSnapshot(c, t)
			setSnapshot(c, s.db, id, bad.set)
			c.Doing("GET an account of 7 events (balance 1500) whose snapshot cannot be used: %s", bad.what)
			balance, version := s.balance(c, id)
			c.That(balance == 1500 && version == 7, "balance 1500 at version 7: the snapshot ignored, the whole stream replayed",
				fmt.Sprintf("balance %d at version %d", balance, version))
			loads := `bank_account_loads_total{from="snapshot"}`
			m := scrape(c, s.API)
			c.That(m.value(loads) == missing, "no "+loads+": that load was a replay, and counts as one", m.lines("bank_account_load"))
			c.That(strings.Contains(s.Log(), "level=WARN") && strings.Contains(s.Log(), "snapshot"),
				"a warning in the log about the snapshot (r.log.Warn): an operator must see snapshots that stop fitting, or every load silently replays", warnings(s.Log()))
			c.Doing("deposit 1 into it: a snapshot that cannot be used never fails a command")
			s.deposit(c, id, 1)
		})
	}
}

func Test8_1_ALostSnapshotsTableCostsAReplayNotACommand(t *testing.T) {
	c := spec.For(t, stage)
	s, id := withMarkedSnapshot(c, t)
	execAll(c, s.db.Write, `DROP TABLE snapshots`)
	c.Doing("GET the account after the snapshots table was dropped (a snapshot is a cache: losing it loses nothing)")
	balance, version := s.balance(c, id)
	c.That(balance == 1500 && version == 7, "balance 1500 at version 7, replayed from the events", fmt.Sprintf("balance %d at version %d", balance, version))
	c.Doing("deposit 1 into it")
	s.deposit(c, id, 1)
	c.That(strings.Contains(s.Log(), "snapshot"), "a warning in the log about the snapshot it could not read", warnings(s.Log()))
}

func TestGuard_ASnapshotOfAnotherShapeIsIgnored(t *testing.T) {
	c := spec.Guard(t, stage, "account_repository.go (loadFromSnapshot) and snapshots.go (Latest)", "a snapshot of another state version is ignored, and the stream replayed")
	s, id := withMarkedSnapshot(c, t)
	setSnapshot(c, s.db, id, `state_version = ?`, bank.AccountStateVersion+1)
	c.Doing("GET an account of 7 events (balance 1500) whose only snapshot is of state version %d", bank.AccountStateVersion+1)
	balance, version := s.balance(c, id)
	c.That(balance == 1500 && version == 7, "balance 1500 at version 7: the snapshot ignored, the whole stream replayed",
		fmt.Sprintf("balance %d at version %d", balance, version))
}

func TestGuard_AnAccountWithoutASnapshotIsReplayed(t *testing.T) {
	c := spec.Guard(t, stage, "account_repository.go (Load)", "an account without a snapshot is replayed from its whole stream")
	s := newSnapServer(t, neverSnapshot)
	id := c.OpenAccount(s.API, "checking", 0)
	s.deposit(c, id, 100)
	c.Doing("GET an account that has no snapshot")
	balance, version := s.balance(c, id)
	c.That(balance == 100 && version == 2, "balance 100 at version 2, replayed", fmt.Sprintf("balance %d at version %d", balance, version))
	c.That(!strings.Contains(s.Log(), "level=WARN"), "no warning: an account without a snapshot is the normal case, not a snapshot that does not fit", s.Log())
	c.Doing("GET an account that does not exist")
	c.Status(s.Get("/accounts/"+adaID), http.StatusNotFound)
}

func Test8_1_ALoadWhoseEventsCannotBeReadFails(t *testing.T) {
	c := spec.For(t, stage)
	a := newRelayApp(c, t, fastRelay())
	id := a.open(c, "Ada Lovelace")
	a.deposit(c, id, 100)
	putSnapshot(c, a.db, id.String(), 2, bank.AccountStateVersion, markedState(id.String(), 100))
	hooked := readsThrough(c, t, a.db, func(query string) error {
		if strings.Contains(query, "version >= ?") {
			return errInjected // the read of the events from the snapshot's version on
		}
		return nil
	})
	store, err := bank.NewEventStore(c.Ctx(), hooked, bank.NewRegistry())
	c.NoError(err, "NewEventStore")
	snapshots, err := bank.NewSnapshots(c.Ctx(), hooked)
	c.NoError(err, "NewSnapshots")
	log, _ := spec.NewServerLog()
	repo := bank.NewAccountRepository(store, bank.NewAccountFactory(), snapshots, -1, bank.NewMetrics(), log)
	c.Doing("Load an account with a snapshot at version 2 while reading its events from version 2 on fails")
	acc, err := repo.Load(c.Ctx(), id)
	c.ErrorIs(err, errInjected, "the read's error, wrapped: the database is failing, and a replay would hide it")
	c.That(acc == nil, "no account", "an account")
}
