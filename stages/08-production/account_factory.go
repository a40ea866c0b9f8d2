package bank

import (
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// The factory is the only way to get an Account (Evans: a factory hides how a
// complex object is assembled and guarantees it starts out valid). It has two jobs:
//
//   - Open creates a new account, applying the rules of its kind. The rules live
//     here, in one table, rather than in if-statements scattered over handlers.
//   - Reconstitute rebuilds an existing account from its stored history, and
//     refuses a history that could not have been written by this code.

// ErrCorruptHistory means a stored stream cannot be an account's history.
var ErrCorruptHistory = errors.New("corrupt history")

// KindPolicy holds the rules of one kind of account.
type KindPolicy struct {
	MaxOverdraft int64 // the largest overdraft limit an account of this kind may have
}

// AccountFactory creates and reconstitutes accounts.
type AccountFactory struct {
	policies map[Kind]KindPolicy
}

// NewAccountFactory returns a factory with the bank's rules per kind.
func NewAccountFactory() *AccountFactory {
	return &AccountFactory{
		policies: map[Kind]KindPolicy{
			Checking: {MaxOverdraft: MaxOverdraftLimit},
			Savings:  {MaxOverdraft: 0},
		},
	}
}

// Open creates a new account that records AccountOpened, if the request is
// well-formed (400 otherwise) and its kind's rules allow it (422 otherwise).
func (f *AccountFactory) Open(cmd OpenAccount) (*Account, error) {
	if err := cmd.Validate(); err != nil {
		return nil, err
	}
	policy, ok := f.policies[cmd.Kind]
	if !ok {
		return nil, &PolicyError{Reason: fmt.Sprintf("this bank opens no %s accounts", cmd.Kind)}
	}
	if cmd.OverdraftLimit > policy.MaxOverdraft {
		return nil, &PolicyError{Reason: fmt.Sprintf(
			"a %s account allows an overdraft limit of at most %d, not %d",
			cmd.Kind, policy.MaxOverdraft, cmd.OverdraftLimit)}
	}
	acc := &Account{}
	err := acc.record(AccountOpened{AccountID: uuid.NewString(), Holder: cmd.holder(), Kind: cmd.Kind,
		Currency: cmd.Currency, OverdraftLimit: cmd.OverdraftLimit})
	return acc, err
}

// Reconstitute rebuilds an account from its stored history, oldest first.
func (f *AccountFactory) Reconstitute(history []Envelope) (*Account, error) {
	// The rules: a history is not empty and starts with AccountOpened, and every event
	// passes checkInHistory (below: it belongs to the stream, has version 1, 2, 3...
	// without gaps, and is no second AccountOpened nor one of another account).
	// The account's version is the version of the last event applied.
	if len(history) == 0 {
		return nil, fmt.Errorf("%w: no events", ErrCorruptHistory)
	}
	if _, ok := history[0].Event.(AccountOpened); !ok {
		return nil, fmt.Errorf("%w: %s starts with %s, not AccountOpened",
			ErrCorruptHistory, history[0].StreamID, history[0].Type)
	}
	acc := &Account{}
	for i, e := range history {
		if err := checkInHistory(history[0].StreamID, i, e); err != nil {
			return nil, err
		}
		if err := acc.apply(e.Event); err != nil {
			return nil, fmt.Errorf("%w: %s version %d: %v", ErrCorruptHistory, e.StreamID, e.Version, err)
		}
		acc.version = e.Version
	}
	return acc, nil
}

// checkInHistory checks the i-th event (from 0) of a stream's history: it belongs
// to the stream, has version i+1, and only the first event opens the account,
// the account that the stream is named after.
func checkInHistory(streamID string, i int, e Envelope) error {
	switch {
	case e.StreamID != streamID:
		return fmt.Errorf("%w: event of %s inside the history of %s",
			ErrCorruptHistory, e.StreamID, streamID)
	case e.Version != int64(i+1):
		return fmt.Errorf("%w: %s: event %d has version %d (a gap, or out of order)",
			ErrCorruptHistory, streamID, i+1, e.Version)
	}
	opened, isOpened := e.Event.(AccountOpened)
	switch {
	case isOpened && i > 0:
		return fmt.Errorf("%w: %s is opened again at version %d", ErrCorruptHistory, streamID, e.Version)
	case isOpened && StreamID(opened.AccountID) != streamID:
		return fmt.Errorf("%w: %s opens account %s", ErrCorruptHistory, streamID, opened.AccountID)
	}
	return nil
}
