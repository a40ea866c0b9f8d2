package bank

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/google/uuid"
)

// Accounts by owner answers: which accounts does this person hold, and what is
// on them? The write model cannot answer it without reading every stream. This
// read model is multi-stream: one row per account, kept up to date by the events
// of all streams, and an index on (owner, account_id) that finds one owner's
// accounts and pages through them in order.

// AccountsByOwnerProjection is the name of its projection and checkpoint.
const AccountsByOwnerProjection = "accounts_by_owner"

var ownersSchema = []string{`
CREATE TABLE {accounts_by_owner} (
	account_id TEXT PRIMARY KEY,
	owner      TEXT NOT NULL,
	kind       TEXT NOT NULL,
	currency   TEXT NOT NULL,
	balance    INTEGER NOT NULL,
	status     TEXT NOT NULL
)`,
	`CREATE INDEX {accounts_by_owner}_owner ON {accounts_by_owner} (owner, account_id)`,
}

// OwnedAccount is one account of an owner.
type OwnedAccount struct {
	ID       uuid.UUID `json:"id"`
	Kind     Kind      `json:"kind"`
	Currency string    `json:"currency"`
	Balance  int64     `json:"balance"`
	Status   Status    `json:"status"`
}

// AccountsByOwner is the projection of every owner's accounts.
func AccountsByOwner() Projection {
	return Projection{Name: AccountsByOwnerProjection, Version: 1, Tables: []string{"accounts_by_owner"},
		Schema: ownersSchema, Apply: applyOwnedAccount}
}

// applyOwnedAccount keeps an account's row up to date.
func applyOwnedAccount(ctx context.Context, rm ReadModelTx, e Envelope) error {
	account := accountOf(e.StreamID)
	var err error
	switch ev := e.Event.(type) {
	case AccountOpened:
		_, err = rm.Exec(ctx, `INSERT INTO {accounts_by_owner} (account_id, owner, kind, currency, balance, status)
			VALUES (?, ?, ?, ?, 0, ?)`, account, ev.Holder.LegalName, ev.Kind, ev.Currency, StatusOpen)
	case MoneyDeposited:
		_, err = rm.Exec(ctx, `UPDATE {accounts_by_owner} SET balance = balance + ? WHERE account_id = ?`, ev.Amount, account)
	case MoneyWithdrawn:
		_, err = rm.Exec(ctx, `UPDATE {accounts_by_owner} SET balance = balance - ? WHERE account_id = ?`, ev.Amount, account)
	case OpeningBalanceMigrated:
		_, err = rm.Exec(ctx, `UPDATE {accounts_by_owner} SET balance = ? WHERE account_id = ?`, ev.Balance, account)
	case AccountClosed:
		_, err = rm.Exec(ctx, `UPDATE {accounts_by_owner} SET status = ? WHERE account_id = ?`, StatusClosed, account)
	case PersonalDataForgotten:
		_, err = rm.Exec(ctx, `DELETE FROM {accounts_by_owner} WHERE account_id = ?`, account) // the row is the name's
	}
	return err
}

// OwnerQuery asks for a page of an owner's accounts, in id order: those after
// account After (uuid.Nil for the first page), at most Limit, once the read model
// has reached MinPosition.
type OwnerQuery struct {
	Owner       string
	After       uuid.UUID
	Limit       int
	MinPosition int64
}

func (q OwnerQuery) AtLeast() int64 { return q.MinPosition }

// OwnerPage is a page of an owner's accounts.
type OwnerPage struct {
	Owner    string         `json:"owner"`
	Accounts []OwnedAccount `json:"accounts"`
	// NextAfter is the after of the next page (the last account's id), "" at the end.
	NextAfter string `json:"next_after"`
}

// readOwnedAccounts reads a page of an owner's accounts.
func readOwnedAccounts(ctx context.Context, db *sql.DB, q OwnerQuery) (OwnerPage, error) {
	rows, err := db.QueryContext(ctx, `SELECT account_id, kind, currency, balance, status FROM accounts_by_owner
		WHERE owner = ? AND account_id > ? ORDER BY account_id LIMIT ?`, q.Owner, q.After.String(), q.Limit)
	if err != nil {
		return OwnerPage{}, fmt.Errorf("read accounts by owner: %w", err)
	}
	defer rows.Close()
	page := OwnerPage{Owner: q.Owner, Accounts: []OwnedAccount{}}
	for rows.Next() {
		var a OwnedAccount
		if err := rows.Scan(&a.ID, &a.Kind, &a.Currency, &a.Balance, &a.Status); err != nil {
			return OwnerPage{}, fmt.Errorf("read accounts by owner: %w", err)
		}
		page.Accounts = append(page.Accounts, a)
	}
	if len(page.Accounts) == q.Limit {
		page.NextAfter = page.Accounts[q.Limit-1].ID.String()
	}
	return page, rows.Err()
}
