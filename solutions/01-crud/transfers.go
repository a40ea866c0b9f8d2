package bank

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// A transfer changes two rows: money leaves one account and arrives in another.
// Each change alone is a conditional UPDATE, like a withdrawal and a deposit. What
// is new is that they must happen together or not at all: a transfer that has taken
// the money from the source and then finds the target closed must leave both rows
// as they were, and no reader may ever see the money in neither account or in both.
// That is what a database transaction is for: both UPDATEs run inside it, Commit
// makes both visible at once, and Rollback undoes both.
//
// Concurrency: SQLite has one writer at a time (sqlitedb.DB.Write is one connection
// whose transactions begin IMMEDIATE), so two transfers in opposite directions run
// one after the other and cannot deadlock. A server database (PostgreSQL, MySQL)
// runs both at once and locks each row as an UPDATE reaches it: A→B locks A, B→A
// locks B, then each waits for the other's second row until the database kills one
// of them with a deadlock error. There you lock the two rows in a fixed order (by
// id, with SELECT ... FOR UPDATE) and retry a transaction that still fails with a
// deadlock or serialization error.

// ErrCurrencyMismatch: a transfer moves money in one currency; converting it is
// another business (with a rate, a time and a fee), not this bank's.
var ErrCurrencyMismatch = errors.New("the accounts hold different currencies, and a transfer does not convert money")

// Transfer is what a transfer left behind: both accounts as written.
type Transfer struct {
	From Account `json:"from"`
	To   Account `json:"to"`
}

// Transfer moves amount from the account from to the account to, in one
// transaction: the source pays it out as a withdrawal would (open, never past its
// overdraft limit) and the target takes it in as a deposit would (open, the same
// currency, never past MaxBalance). Both change, or neither does.
func (a *Accounts) Transfer(ctx context.Context, from, to uuid.UUID, amount int64) (Transfer, error) {
	if err := checkAmount(amount); err != nil {
		return Transfer{}, err
	}
	if from == to {
		return Transfer{}, &ValidationError{Field: "to", Problem: "must be another account than the one the money leaves"}
	}
	//exercise:begin 1.3 Stretch (optional): in ONE transaction, take amount from `from` with a conditional UPDATE (like Withdraw), add it to `to` with another (like Deposit, and in the same currency), then commit; any refusal or error rolls both back.
	// Inside the transaction every statement goes through tx, never a.db.Write: its
	// only connection is the one your transaction holds, so a.db.Write would wait for
	// you forever. whyNotUpdated and whyNotCredited (below) explain an UPDATE that
	// matched no row.
	tx, err := a.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return Transfer{}, fmt.Errorf("transfer: %w", err)
	}
	defer tx.Rollback() // undoes the withdrawal when anything after it fails; a no-op after Commit
	source, err := scanAccount(tx.QueryRowContext(ctx, `
		UPDATE accounts SET balance = balance - ?, version = version + 1, updated_at = ?
		WHERE id = ? AND status = 'open' AND balance - ? >= -overdraft_limit`+returningAccount,
		amount, now(), from.String(), amount))
	if errors.Is(err, ErrAccountNotFound) {
		return Transfer{}, a.whyNotUpdated(ctx, from, ErrInsufficientFunds)
	}
	if err != nil {
		return Transfer{}, fmt.Errorf("transfer: %w", err)
	}
	target, err := scanAccount(tx.QueryRowContext(ctx, `
		UPDATE accounts SET balance = balance + ?, version = version + 1, updated_at = ?
		WHERE id = ? AND status = 'open' AND currency = ? AND balance <= ? - ?`+returningAccount,
		amount, now(), to.String(), source.Currency, MaxBalance, amount))
	if errors.Is(err, ErrAccountNotFound) {
		return Transfer{}, a.whyNotCredited(ctx, to, source.Currency)
	}
	if err != nil {
		return Transfer{}, fmt.Errorf("transfer: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Transfer{}, fmt.Errorf("transfer: commit: %w", err)
	}
	return Transfer{From: source, To: target}, nil
	//exercise:stub return Transfer{}, exercise.Stretch("1.3")
	//exercise:end
}

// whyNotCredited explains a transfer's UPDATE of the target that matched no row:
// the target does not exist, is closed, holds another currency than the source,
// or would pass MaxBalance. Each error says it is about the target account.
func (a *Accounts) whyNotCredited(ctx context.Context, to uuid.UUID, currency string) error {
	acc, err := a.Get(ctx, to)
	switch {
	case err != nil:
		return fmt.Errorf("the account to transfer to: %w", err)
	case acc.Status == StatusClosed:
		return fmt.Errorf("the account to transfer to: %w", ErrAccountClosed)
	case acc.Currency != currency:
		return fmt.Errorf("%w: the money is in %s, the account to transfer to holds %s", ErrCurrencyMismatch, currency, acc.Currency)
	default:
		return fmt.Errorf("the account to transfer to: %w", ErrBalanceLimit)
	}
}
