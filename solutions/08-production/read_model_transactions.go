package bank

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The transaction history answers one question: what happened to this account,
// line by line, as a statement shows it, with the balance after each line. It is
// a single-stream read model: each row comes from one event of one account's
// stream. The balance after each line is worked out once, when the event is
// applied, not on every read; the primary key (account_id, version) is the
// index the query pages through.

// TransactionHistoryProjection is the name of its projection and checkpoint.
const TransactionHistoryProjection = "account_transactions"

var transactionsSchema = []string{`
CREATE TABLE {account_transactions} (
	account_id    TEXT NOT NULL,
	version       INTEGER NOT NULL,
	position      INTEGER NOT NULL,
	kind          TEXT NOT NULL,
	amount        INTEGER NOT NULL,
	reference     TEXT NOT NULL,
	balance_after INTEGER NOT NULL,
	recorded_at   TEXT NOT NULL,
	PRIMARY KEY (account_id, version)
)`}

// Transaction is one line of an account's history. Amount is what the event did
// to the balance: positive in, negative out, 0 for opening and closing.
type Transaction struct {
	Version      int64     `json:"version"`
	Position     int64     `json:"position"`
	Kind         string    `json:"kind"` // opened, deposit, withdrawal, opening balance, closed
	Amount       int64     `json:"amount"`
	Reference    string    `json:"reference"`
	BalanceAfter int64     `json:"balance_after"`
	RecordedAt   time.Time `json:"recorded_at"`
}

// TransactionHistory is the projection of every account's history.
func TransactionHistory() Projection {
	return Projection{Name: TransactionHistoryProjection, Version: 1, Tables: []string{"account_transactions"},
		Schema: transactionsSchema, Apply: applyTransaction}
}

// applyTransaction writes the line one event adds to its account's history.
func applyTransaction(ctx context.Context, rm ReadModelTx, e Envelope) error {
	//exercise:begin 4.3 Turn the event into its line of the account's history (kind, amount, reference) and insert it with insertTransaction, its balance_after being the balance before it (balanceBefore) plus its amount.
	// Every event of the account is a line: AccountOpened "opened" and AccountClosed
	// "closed" (amount 0), MoneyDeposited "deposit" (+amount), MoneyWithdrawn
	// "withdrawal" (-amount), OpeningBalanceMigrated "opening balance" (+balance).
	line := Transaction{Version: e.Version, Position: e.Position, RecordedAt: e.RecordedAt}
	switch ev := e.Event.(type) {
	case AccountOpened:
		line.Kind = "opened"
	case MoneyDeposited:
		line.Kind, line.Amount, line.Reference = "deposit", ev.Amount, ev.Reference
	case MoneyWithdrawn:
		line.Kind, line.Amount, line.Reference = "withdrawal", -ev.Amount, ev.Reference
	case OpeningBalanceMigrated:
		line.Kind, line.Amount = "opening balance", ev.Balance
	case AccountClosed:
		line.Kind = "closed"
	case PersonalDataForgotten:
		line.Kind = "personal data forgotten"
	default:
		return fmt.Errorf("%w: no line for %T", ErrUnknownEventType, ev)
	}
	account := accountOf(e.StreamID)
	before, err := balanceBefore(ctx, rm, account)
	if err != nil {
		return err
	}
	line.BalanceAfter = before + line.Amount
	return insertTransaction(ctx, rm, account, line)
	//exercise:stub return exercise.Todo("4.3")
	//exercise:end
}

// accountOf is the account id a stream is named after ("account-<id>").
func accountOf(streamID string) string { return strings.TrimPrefix(streamID, StreamID("")) }

// balanceBefore is the balance after the account's last line so far (0 before its first).
func balanceBefore(ctx context.Context, rm ReadModelTx, account string) (int64, error) {
	var balance int64
	err := rm.QueryRow(ctx, `SELECT balance_after FROM {account_transactions} WHERE account_id = ?
		ORDER BY version DESC LIMIT 1`, account).Scan(&balance)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return balance, err
}

// insertTransaction adds one line to an account's history.
func insertTransaction(ctx context.Context, rm ReadModelTx, account string, t Transaction) error {
	_, err := rm.Exec(ctx, `
		INSERT INTO {account_transactions} (account_id, version, position, kind, amount, reference, balance_after, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		account, t.Version, t.Position, t.Kind, t.Amount, t.Reference, t.BalanceAfter, t.RecordedAt.UTC().Format(time.RFC3339Nano))
	return err
}

// TransactionsQuery asks for a page of an account's history: the lines after
// version AfterVersion, at most Limit of them, once the read model has reached
// MinPosition.
type TransactionsQuery struct {
	AccountID    uuid.UUID
	AfterVersion int64
	Limit        int
	MinPosition  int64
}

func (q TransactionsQuery) AtLeast() int64 { return q.MinPosition }

// TransactionsPage is a page of an account's history.
type TransactionsPage struct {
	AccountID    uuid.UUID     `json:"account_id"`
	Transactions []Transaction `json:"transactions"`
	// NextAfterVersion is the after_version of the next page (the last line's version).
	NextAfterVersion int64 `json:"next_after_version"`
}

// readTransactions reads a page of an account's history. An account without any
// line is one the read model does not know (yet): ErrAccountNotFound.
func readTransactions(ctx context.Context, db *sql.DB, q TransactionsQuery) (TransactionsPage, error) {
	rows, err := db.QueryContext(ctx, `
		SELECT version, position, kind, amount, reference, recorded_at, balance_after FROM account_transactions
		WHERE account_id = ? AND version > ? ORDER BY version LIMIT ?`, q.AccountID.String(), q.AfterVersion, q.Limit)
	if err != nil {
		return TransactionsPage{}, fmt.Errorf("read transactions: %w", err)
	}
	defer rows.Close()
	page := TransactionsPage{AccountID: q.AccountID, Transactions: []Transaction{}, NextAfterVersion: q.AfterVersion}
	for rows.Next() {
		var t Transaction
		var recordedAt string
		if err := rows.Scan(&t.Version, &t.Position, &t.Kind, &t.Amount, &t.Reference, &recordedAt, &t.BalanceAfter); err != nil {
			return TransactionsPage{}, fmt.Errorf("read transactions: %w", err)
		}
		if t.RecordedAt, err = time.Parse(time.RFC3339Nano, recordedAt); err != nil {
			return TransactionsPage{}, fmt.Errorf("read transactions: recorded_at: %w", err)
		}
		page.Transactions = append(page.Transactions, t)
		page.NextAfterVersion = t.Version
	}
	if len(page.Transactions) == 0 && q.AfterVersion == 0 && rows.Err() == nil {
		return TransactionsPage{}, fmt.Errorf("%w in the transaction history as far as it has got (min_position waits for an account just opened)", ErrAccountNotFound)
	}
	return page, rows.Err()
}
