package bank

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/go-es-workshop/kit/internal/exercise"
	"github.com/google/uuid"
)

// Overdrawn accounts answer what the bank's collections desk asks: which accounts
// are below zero right now, by how much, and since when? It is a new question, and
// it needs no new event: the log already holds every opening, payment and closing.
// A new projection starts at position 0 (its checkpoint is new), so it builds its
// table from the whole log already stored, and the accounts overdrawn before this
// read model existed are in it too. Like the three others, it is registered in
// NewApplication (application.go): in the projector's list, so that it runs; in
// Queries, so that its table is read; and GET /reports/overdrawn is routed to that
// query in http_api.go.
//
// It is multi-stream, like accounts by owner: a row per overdrawn account, owner
// and currency from the account's AccountOpened, "since" the recorded_at of the
// event that took it below zero. To know when an account goes below zero, the
// projection keeps every account's balance in a table of its own: a projection
// reads only its own tables, never another read model, which may be further
// behind or ahead in the log. The index (balance, account_id) is the order the
// query pages through: most owed first.

// AccountsOverdrawnProjection is the name of its projection and checkpoint.
const AccountsOverdrawnProjection = "accounts_overdrawn"

var overdrawnSchema = []string{`
CREATE TABLE IF NOT EXISTS accounts_overdrawn (
	account_id TEXT PRIMARY KEY,
	owner      TEXT NOT NULL,
	currency   TEXT NOT NULL,
	balance    INTEGER NOT NULL,
	since      TEXT NOT NULL
)`,
	`CREATE INDEX IF NOT EXISTS accounts_overdrawn_balance ON accounts_overdrawn (balance, account_id)`, `
CREATE TABLE IF NOT EXISTS accounts_overdrawn_balances (
	account_id TEXT PRIMARY KEY,
	owner      TEXT NOT NULL,
	currency   TEXT NOT NULL,
	balance    INTEGER NOT NULL
)`}

// OverdrawnAccount is an account below zero.
type OverdrawnAccount struct {
	ID       uuid.UUID `json:"id"`
	Owner    string    `json:"owner"`
	Currency string    `json:"currency"`
	Balance  int64     `json:"balance"` // below zero
	Since    time.Time `json:"since"`   // when it went below zero: the recorded_at of that event
}

// AccountsOverdrawn is the projection of the accounts below zero.
func AccountsOverdrawn() Projection {
	return Projection{Name: AccountsOverdrawnProjection, Version: 1, Schema: overdrawnSchema, Apply: applyOverdrawn}
}

// applyOverdrawn keeps every account's balance, and the row of each account that
// is below zero.
func applyOverdrawn(ctx context.Context, tx *sql.Tx, e Envelope) error {
	// TODO(4.5): Stretch (optional): note each opened account in
	//   accounts_overdrawn_balances; move its balance by each payment (moveBalance); give
	//   it a row in accounts_overdrawn when it goes below zero (since: this event's
	//   recorded_at), keep the row's balance while it stays there, and remove the row
	//   when it is back at zero or more, or closed.
	// A migrated opening balance moves the balance like a payment (it comes right
	// after the opening, at 0). Only the move across zero starts a row, with a new
	// "since"; a payment that leaves it below zero changes only its balance.
	// Then register the projection: it runs only once it is in NewApplication's
	// projector list (application.go), its query is wired, and its route is in
	// http_api.go (the three other TODO(4.5)).
	return exercise.Stretch("4.5")
}

// moveBalance adds change to the account's balance in accounts_overdrawn_balances
// and returns the balance before and after. An account the log never opened is
// an error: the projection would otherwise count money nobody holds.
func moveBalance(ctx context.Context, tx *sql.Tx, account string, change int64) (before, after int64, err error) {
	err = tx.QueryRowContext(ctx, `UPDATE accounts_overdrawn_balances SET balance = balance + ? WHERE account_id = ?
		RETURNING balance`, change, account).Scan(&after)
	if err != nil {
		return 0, 0, fmt.Errorf("the balance of account %s: %w", account, err)
	}
	return after - change, after, nil
}

// OverdrawnQuery asks for a page of the overdrawn accounts, most owed first: those
// after After (the zero cursor: from the first), at most Limit, once the read
// model has reached MinPosition.
type OverdrawnQuery struct {
	After       OverdrawnCursor
	Limit       int
	MinPosition int64
}

func (q OverdrawnQuery) AtLeast() int64 { return q.MinPosition }

// OverdrawnCursor is where a page ends: the balance and id of its last account,
// the order of the index. A balance that moved between two pages moves its
// account within the order: a page is as of its own reading.
type OverdrawnCursor struct {
	Balance   int64
	AccountID uuid.UUID
}

func (c OverdrawnCursor) String() string { return fmt.Sprintf("%d,%s", c.Balance, c.AccountID) }

// OverdrawnPage is a page of the overdrawn accounts.
type OverdrawnPage struct {
	Accounts []OverdrawnAccount `json:"accounts"`
	// NextAfter is the after of the next page ("balance,id" of the last account), "" at the end.
	NextAfter string `json:"next_after"`
}

// readOverdrawn reads a page of the overdrawn accounts.
func readOverdrawn(ctx context.Context, db *sql.DB, q OverdrawnQuery) (OverdrawnPage, error) {
	after := q.After
	if after == (OverdrawnCursor{}) {
		after.Balance = math.MinInt64 // the first page: before every row
	}
	rows, err := db.QueryContext(ctx, `SELECT account_id, owner, currency, balance, since FROM accounts_overdrawn
		WHERE (balance, account_id) > (?, ?) ORDER BY balance, account_id LIMIT ?`, after.Balance, after.AccountID.String(), q.Limit)
	if err != nil {
		return OverdrawnPage{}, fmt.Errorf("read overdrawn accounts: %w", err)
	}
	defer rows.Close()
	page := OverdrawnPage{Accounts: []OverdrawnAccount{}}
	for rows.Next() {
		var a OverdrawnAccount
		var since string
		if err := rows.Scan(&a.ID, &a.Owner, &a.Currency, &a.Balance, &since); err != nil {
			return OverdrawnPage{}, fmt.Errorf("read overdrawn accounts: %w", err)
		}
		if a.Since, err = time.Parse(time.RFC3339Nano, since); err != nil {
			return OverdrawnPage{}, fmt.Errorf("read overdrawn accounts: since: %w", err)
		}
		page.Accounts = append(page.Accounts, a)
	}
	if len(page.Accounts) == q.Limit {
		last := page.Accounts[q.Limit-1]
		page.NextAfter = OverdrawnCursor{Balance: last.Balance, AccountID: last.ID}.String()
	}
	return page, rows.Err()
}
