package bank

import (
	"fmt"

	"github.com/google/uuid"
)

// Account is the aggregate root of an account (Evans): the one object through
// which its state changes, and the boundary inside which its rules always hold.
// Its fields are unexported, so nothing outside can set a balance; a change is
// asked for with a method, the method checks the rules against the current state,
// and only then records an event. Rules first, fact second: an event is never
// recorded and then regretted.
//
// Accounts are made by the AccountFactory (new, or rebuilt from history) and
// stored by the AccountRepository; an Account lives for one command.
type Account struct {
	id             uuid.UUID
	owner          string
	holderType     HolderType
	kind           Kind
	currency       string
	balance        int64
	overdraftLimit int64
	status         Status

	version int64   // the version of the last stored event: the expected version when saving
	changes []Event // events recorded by this command, not stored yet
}

// ID is the account's id.
func (a *Account) ID() uuid.UUID { return a.id }

// Version is the stream version the account was loaded at (0 for a new account).
func (a *Account) Version() int64 { return a.version }

// Changes are the events recorded since the account was loaded or created.
func (a *Account) Changes() []Event { return a.changes }

// View is a read-only copy of the state, including changes not stored yet.
func (a *Account) View() AccountView {
	return AccountView{ID: a.id, Owner: a.owner, HolderType: a.holderType, Kind: a.kind, Currency: a.currency, Balance: a.balance,
		OverdraftLimit: a.overdraftLimit, Status: a.status, Version: a.version + int64(len(a.changes))}
}

// Deposit pays amount into the account, for the reason in reference.
func (a *Account) Deposit(amount int64, reference string) error {
	if err := checkAmount(amount); err != nil {
		return err
	}
	if err := checkReference(reference); err != nil {
		return err
	}
	if a.status != StatusOpen {
		return ErrAccountClosed
	}
	if a.balance > MaxBalance-amount {
		return ErrBalanceLimit
	}
	return a.record(MoneyDeposited{Amount: amount, Reference: reference})
}

// Withdraw pays amount out of the account, never past its overdraft limit, for
// the reason in reference.
func (a *Account) Withdraw(amount int64, reference string) error {
	//exercise:begin 3.3 Check the rules against the current state FIRST; only then record MoneyWithdrawn, with the amount and the reference.
	// Deposit above is the pattern: the same checks of the input and of the account,
	// then the withdrawal's own rule, the overdraft limit.
	if err := checkAmount(amount); err != nil {
		return err
	}
	if err := checkReference(reference); err != nil {
		return err
	}
	if a.status != StatusOpen {
		return ErrAccountClosed
	}
	if a.balance-amount < -a.overdraftLimit {
		return ErrInsufficientFunds
	}
	return a.record(MoneyWithdrawn{Amount: amount, Reference: reference})
	//exercise:stub return exercise.Todo("3.3")
	//exercise:end
}

// Close closes the account; its balance must be zero.
func (a *Account) Close() error {
	if a.status != StatusOpen {
		return ErrAccountClosed
	}
	if a.balance != 0 {
		return ErrBalanceNotZero
	}
	return a.record(AccountClosed{})
}

// ForgetPersonalData forgets the holder's name, once the account is closed: a
// bank keeps its customers' details while they bank with it (and, by law, for
// years after; this bank does not model that clock).
func (a *Account) ForgetPersonalData() error {
	switch {
	case a.status != StatusClosed:
		return &PolicyError{Reason: "only a closed account's personal data can be forgotten"}
	case a.owner == ForgottenPersonalData:
		return &PolicyError{Reason: "its personal data is forgotten already"}
	}
	return a.record(PersonalDataForgotten{})
}

// record applies a new event and keeps it to be saved.
func (a *Account) record(e Event) error {
	if err := a.apply(e); err != nil {
		return err
	}
	a.changes = append(a.changes, e)
	return nil
}

// apply changes the state by one event. It checks no rule: the event is a fact,
// whether it was just recorded or read back from the store years later.
func (a *Account) apply(event Event) error {
	switch e := event.(type) {
	case AccountOpened:
		id, err := uuid.Parse(e.AccountID)
		if err != nil {
			return fmt.Errorf("AccountOpened: account_id: %w", err)
		}
		a.id, a.owner, a.holderType, a.kind, a.currency = id, e.Holder.LegalName, e.Holder.Type, e.Kind, e.Currency
		a.overdraftLimit, a.status = e.OverdraftLimit, StatusOpen
	case MoneyDeposited:
		a.balance += e.Amount
	case MoneyWithdrawn:
		a.balance -= e.Amount
	case OpeningBalanceMigrated:
		a.balance = e.Balance
	case AccountClosed:
		a.status = StatusClosed
	case PersonalDataForgotten:
		a.owner = ForgottenPersonalData
	default:
		return fmt.Errorf("%w: no case for %T", ErrUnknownEventType, event)
	}
	return nil
}
