package bank

import (
	"context"
	"errors"

	"github.com/go-es-workshop/kit/internal/exercise"
	"github.com/google/uuid"
)

// Deposits, withdrawals and closing change one row in place. Each is a single
// conditional UPDATE: the rule (account open, funds available) is part of the WHERE
// clause, so SQLite checks it and writes in one step and no other request can slip
// in between. Reading the row, deciding in Go and writing the new balance back would
// let two withdrawals both see the same old balance: one of them would be lost.

// Deposit adds amount to the balance of an open account.
func (a *Accounts) Deposit(ctx context.Context, id uuid.UUID, amount int64) (Account, error) {
	if err := checkAmount(amount); err != nil {
		return Account{}, err
	}
	// TODO(1.1): Add amount to the balance in ONE conditional UPDATE ... RETURNING.
	// The WHERE clause holds the rules: the account is open and the new balance stays
	// at most MaxBalance. No row updated? Ask whyNotUpdated for the reason.
	return Account{}, exercise.Todo("1.1")
}

// Withdraw takes amount from an open account, never below its overdraft limit.
func (a *Accounts) Withdraw(ctx context.Context, id uuid.UUID, amount int64) (Account, error) {
	if err := checkAmount(amount); err != nil {
		return Account{}, err
	}
	// TODO(1.2): Subtract amount in ONE conditional UPDATE that keeps balance >=
	//   -overdraft_limit.
	// Never read the balance first and write the result back: two concurrent withdrawals
	// would both see the old balance and one of them would be lost.
	return Account{}, exercise.Todo("1.2")
}

// Close closes an open account whose balance is zero.
func (a *Accounts) Close(ctx context.Context, id uuid.UUID) (Account, error) {
	acc, err := scanAccount(a.db.Write.QueryRowContext(ctx, `
		UPDATE accounts SET status = 'closed', version = version + 1, updated_at = ?
		WHERE id = ? AND status = 'open' AND balance = 0`+returningAccount,
		now(), id.String()))
	if errors.Is(err, ErrAccountNotFound) {
		return Account{}, a.whyNotUpdated(ctx, id, ErrBalanceNotZero)
	}
	return acc, err
}

// whyNotUpdated explains a conditional UPDATE that matched no row: the account does
// not exist, is closed, or else the rule of the update (ruleBroken) did not hold.
func (a *Accounts) whyNotUpdated(ctx context.Context, id uuid.UUID, ruleBroken error) error {
	acc, err := a.Get(ctx, id)
	switch {
	case err != nil:
		return err
	case acc.Status == StatusClosed:
		return ErrAccountClosed
	default:
		return ruleBroken
	}
}
