package bank

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
)

// AccountStateVersion is the shape of an account's state in a snapshot. Raise it
// whenever Account's fields or its apply change: snapshots of the old shape are
// then ignored, and each account is replayed from its events once more.
const AccountStateVersion = 1

// accountState is an Account's state as a snapshot stores it: every field that
// apply sets, and nothing a command is still recording.
type accountState struct {
	ID             uuid.UUID  `json:"id"`
	Owner          string     `json:"owner"`
	HolderType     HolderType `json:"holder_type"`
	Kind           Kind       `json:"kind"`
	Currency       string     `json:"currency"`
	Balance        int64      `json:"balance"`
	OverdraftLimit int64      `json:"overdraft_limit"`
	Status         Status     `json:"status"`
}

// snapshot is the account's state at the version its stream reaches once its
// changes are stored. Take it only after they are.
func (a *Account) snapshot() (Snapshot, error) {
	state, err := json.Marshal(accountState{ID: a.id, Owner: a.owner, HolderType: a.holderType, Kind: a.kind,
		Currency: a.currency, Balance: a.balance, OverdraftLimit: a.overdraftLimit, Status: a.status})
	if err != nil {
		return Snapshot{}, fmt.Errorf("snapshot of account %s: %w", a.id, err)
	}
	return Snapshot{StreamID: StreamID(a.id.String()), Version: a.version + int64(len(a.changes)),
		StateVersion: AccountStateVersion, State: state}, nil
}

// Restore rebuilds an account from a snapshot and its stream's events from the
// snapshot's version on, oldest first: the same account Reconstitute makes of the
// whole history. The first event is the one the snapshot was taken at: without
// it, the snapshot is of a version the stream never reached (taken before a
// commit that failed, or the database restored from an older backup) and is
// refused. The events after it are checked as a whole history's are
// (checkInHistory): no gap, and none opens the account again.
func (f *AccountFactory) Restore(snap Snapshot, from []Envelope) (*Account, error) {
	var s accountState
	d := json.NewDecoder(bytes.NewReader(snap.State))
	d.DisallowUnknownFields()
	if err := d.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: snapshot of %s: %v", ErrCorruptHistory, snap.StreamID, err)
	}
	if StreamID(s.ID.String()) != snap.StreamID {
		return nil, fmt.Errorf("%w: the snapshot of %s holds account %s", ErrCorruptHistory, snap.StreamID, s.ID)
	}
	if len(from) == 0 {
		return nil, fmt.Errorf("%w: %s has no event at version %d, where its snapshot was taken", ErrCorruptHistory, snap.StreamID, snap.Version)
	}
	if from[0].Version != snap.Version || from[0].StreamID != snap.StreamID {
		return nil, fmt.Errorf("%w: the events given start at version %d of %s, not at version %d of %s, where its snapshot was taken",
			ErrCorruptHistory, from[0].Version, from[0].StreamID, snap.Version, snap.StreamID)
	}
	after := from[1:]
	acc := &Account{id: s.ID, owner: s.Owner, holderType: s.HolderType, kind: s.Kind, currency: s.Currency,
		balance: s.Balance, overdraftLimit: s.OverdraftLimit, status: s.Status, version: snap.Version}
	for i, e := range after {
		if err := checkInHistory(snap.StreamID, int(snap.Version)+i, e); err != nil {
			return nil, err
		}
		if err := acc.apply(e.Event); err != nil {
			return nil, fmt.Errorf("%w: %s version %d: %v", ErrCorruptHistory, e.StreamID, e.Version, err)
		}
		acc.version = e.Version
	}
	return acc, nil
}
