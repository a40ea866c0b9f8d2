package bank

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

// How the statement service reads the contract. It is a tolerant reader: it takes
// the fields it needs and ignores any others, so that the bank may add fields to
// v1 without breaking it. What it cannot apply it refuses with a reason, and the
// message is parked: a type it does not know, data that is not the type's JSON,
// a missing account or amount, an amount in another currency than the account's,
// money for an account it was never told of.

// ErrCannotApply means a message is well formed but cannot be applied; it is parked.
var ErrCannotApply = errors.New("cannot apply")

// applyStatement writes what message m means to the statements, on tx.
func applyStatement(ctx context.Context, tx *sql.Tx, m IntegrationMessage) error {
	switch m.Type {
	case AccountOpenedV1Type:
		var d AccountOpenedV1
		if err := decodeMessage(m, &d); err != nil {
			return err
		}
		if d.AccountID == "" || d.Currency == "" {
			return fmt.Errorf("%w: %s without an account_id or a currency", ErrCannotApply, m.Type)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO statements (account_id, currency, balance, deposits, withdrawals, status)
			VALUES (?, ?, 0, 0, 0, ?)`, d.AccountID, d.Currency, StatusOpen)
		if sqlitedb.IsUniqueViolation(err) {
			return fmt.Errorf("%w: account %s was opened before, by another message", ErrCannotApply, d.AccountID)
		}
		return err
	case MoneyDepositedV1Type, MoneyWithdrawnV1Type:
		var d MoneyDepositedV1 // MoneyWithdrawnV1 has the same fields
		if err := decodeMessage(m, &d); err != nil {
			return err
		}
		if d.AccountID == "" || d.Amount <= 0 || d.Currency == "" {
			return fmt.Errorf("%w: %s needs an account_id, a positive amount and a currency", ErrCannotApply, m.Type)
		}
		return applyPayment(ctx, tx, m, d)
	case AccountClosedV1Type:
		var d AccountClosedV1
		if err := decodeMessage(m, &d); err != nil {
			return err
		}
		return updateStatement(ctx, tx, d.AccountID, `UPDATE statements SET status = ? WHERE account_id = ?`, StatusClosed, d.AccountID)
	}
	return fmt.Errorf("%w: unknown message type %q", ErrCannotApply, m.Type)
}

// decodeMessage reads m's data into d: a JSON object, its unknown fields ignored.
func decodeMessage(m IntegrationMessage, d any) error {
	if err := json.Unmarshal(m.Data, d); err != nil {
		return fmt.Errorf("%w: %s data: %v", ErrCannotApply, m.Type, err)
	}
	return nil
}

// applyPayment adds a deposit to the account's statement, or takes a withdrawal
// from it, in the account's own currency only, and writes the payment's line:
// two writes, which the savepoint of consume undoes together.
func applyPayment(ctx context.Context, tx *sql.Tx, m IntegrationMessage, d MoneyDepositedV1) error {
	typ := m.Type
	var currency string
	err := tx.QueryRowContext(ctx, `SELECT currency FROM statements WHERE account_id = ?`, d.AccountID).Scan(&currency)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: %s for account %s, which was never opened here", ErrCannotApply, typ, d.AccountID)
	case err != nil:
		return err
	case currency != d.Currency:
		return fmt.Errorf("%w: %s in %s for account %s, which is in %s", ErrCannotApply, typ, d.Currency, d.AccountID, currency)
	}
	amount, counter := d.Amount, "deposits"
	if typ == MoneyWithdrawnV1Type {
		amount, counter = -d.Amount, "withdrawals"
	}
	var balance int64
	err = tx.QueryRowContext(ctx, `UPDATE statements SET balance = balance + ?, `+counter+` = `+counter+` + 1
		WHERE account_id = ? RETURNING balance`, amount, d.AccountID).Scan(&balance)
	if err != nil {
		return err
	}
	return addLine(ctx, tx, d.AccountID, m, amount, balance)
}

// addLine adds a payment's line to the account's statement, with the balance after it.
func addLine(ctx context.Context, tx *sql.Tx, account string, m IntegrationMessage, amount, balance int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO statement_lines (account_id, message_id, amount, balance_after, occurred_at)
		VALUES (?, ?, ?, ?, ?)`, account, m.ID, amount, balance, m.OccurredAt.UTC().Format(time.RFC3339Nano))
	return err
}

// updateStatement runs update on the statement of account, which must exist.
func updateStatement(ctx context.Context, tx *sql.Tx, account, update string, args ...any) error {
	res, err := tx.ExecContext(ctx, update, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errors.Join(err, fmt.Errorf("%w: no statement for account %q", ErrCannotApply, account))
	}
	return nil
}
