package bank

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Statement is one account as the statement service knows it from the messages.
type Statement struct {
	AccountID   string `json:"account_id"`
	Currency    string `json:"currency"`
	Balance     int64  `json:"balance"`
	Deposits    int64  `json:"deposits"`
	Withdrawals int64  `json:"withdrawals"`
	Status      string `json:"status"`
	// Lines are the last payments, oldest first: amount (negative out) and the balance after.
	Lines []StatementLine `json:"lines"`
}

// StatementLine is one payment on a statement.
type StatementLine struct {
	MessageID    string    `json:"message_id"`
	Amount       int64     `json:"amount"`
	BalanceAfter int64     `json:"balance_after"`
	OccurredAt   time.Time `json:"occurred_at"`
}

// maxLines bounds the lines a statement shows.
const maxLines = 100

// Statement reads the statement of an account.
func (s *Statements) Statement(ctx context.Context, accountID string) (Statement, error) {
	st := Statement{AccountID: accountID}
	err := s.db.Read.QueryRowContext(ctx, `SELECT currency, balance, deposits, withdrawals, status FROM statements WHERE account_id = ?`, accountID).
		Scan(&st.Currency, &st.Balance, &st.Deposits, &st.Withdrawals, &st.Status)
	if errors.Is(err, sql.ErrNoRows) {
		return Statement{}, fmt.Errorf("%w %s (yet: the relay may not have delivered its opening)", ErrStatementNotFound, accountID)
	}
	if err != nil {
		return Statement{}, fmt.Errorf("read statement: %w", err)
	}
	if st.Lines, err = s.lines(ctx, accountID); err != nil {
		return Statement{}, err
	}
	return st, nil
}

// lines reads the last maxLines lines of an account's statement, oldest first.
func (s *Statements) lines(ctx context.Context, accountID string) ([]StatementLine, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT message_id, amount, balance_after, occurred_at FROM
		(SELECT rowid, * FROM statement_lines WHERE account_id = ? ORDER BY rowid DESC LIMIT ?) ORDER BY rowid`, accountID, maxLines)
	if err != nil {
		return nil, fmt.Errorf("read statement lines: %w", err)
	}
	defer rows.Close()
	out := []StatementLine{}
	for rows.Next() {
		var l StatementLine
		var at string
		if err := rows.Scan(&l.MessageID, &l.Amount, &l.BalanceAfter, &at); err != nil {
			return nil, fmt.Errorf("read statement lines: %w", err)
		}
		if l.OccurredAt, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, fmt.Errorf("read statement lines: occurred_at: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Processed is how many messages the service has processed (applied or parked).
func (s *Statements) Processed(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM processed_messages WHERE consumer = ?`, statementsConsumer).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count processed messages: %w", err)
	}
	return n, nil
}
