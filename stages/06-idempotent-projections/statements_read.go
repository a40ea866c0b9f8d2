package bank

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Statement is one account as the statement service knows it from the messages.
type Statement struct {
	AccountID   string `json:"account_id"`
	Currency    string `json:"currency"`
	Balance     int64  `json:"balance"`
	Deposits    int64  `json:"deposits"`
	Withdrawals int64  `json:"withdrawals"`
	Status      string `json:"status"`
}

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
	return st, nil
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
