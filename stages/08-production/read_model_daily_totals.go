package bank

import (
	"context"
	"database/sql"
	"fmt"
)

// Daily totals answer what the bank's back office asks every morning: how much
// money came in and went out, per currency, per day (the day the payment was
// recorded, in UTC). Nobody asks for a single account here, so the read model
// does not keep one: a row per day and currency, its key (day, currency) the
// index a range of days reads. The events of a payment do not say its currency;
// the projection keeps what it needs to know itself, each account's currency
// from its AccountOpened, in a table of its own.

// DailyTotalsProjection is the name of its projection and checkpoint.
const DailyTotalsProjection = "daily_totals"

var dailyTotalsSchema = []string{`
CREATE TABLE {daily_totals} (
	day         TEXT NOT NULL,
	currency    TEXT NOT NULL,
	deposited   INTEGER NOT NULL,
	withdrawn   INTEGER NOT NULL,
	deposits    INTEGER NOT NULL,
	withdrawals INTEGER NOT NULL,
	PRIMARY KEY (day, currency)
)`, `
CREATE TABLE {daily_totals_currencies} (
	account_id TEXT PRIMARY KEY,
	currency   TEXT NOT NULL
)`}

// DailyTotal is what one day saw in one currency.
type DailyTotal struct {
	Day         string `json:"day"` // 2024-05-01, in UTC
	Currency    string `json:"currency"`
	Deposited   int64  `json:"deposited"` // the sum of the deposits' amounts
	Withdrawn   int64  `json:"withdrawn"`
	Deposits    int64  `json:"deposits"` // how many deposits
	Withdrawals int64  `json:"withdrawals"`
}

// DailyTotals is the projection of the bank's daily totals.
func DailyTotals() Projection {
	return Projection{Name: DailyTotalsProjection, Version: 1, Tables: []string{"daily_totals", "daily_totals_currencies"},
		Schema: dailyTotalsSchema, Apply: applyDailyTotal}
}

// dayFormat writes a day as its read model keeps it.
const dayFormat = "2006-01-02"

// applyDailyTotal adds a payment to its day's totals; an opening only notes the
// account's currency. Migrated balances are no payments of any day.
func applyDailyTotal(ctx context.Context, rm ReadModelTx, e Envelope) error {
	account := accountOf(e.StreamID)
	var deposited, withdrawn int64
	switch ev := e.Event.(type) {
	case AccountOpened:
		_, err := rm.Exec(ctx, `INSERT INTO {daily_totals_currencies} (account_id, currency) VALUES (?, ?)`, account, ev.Currency)
		return err
	case MoneyDeposited:
		deposited = ev.Amount
	case MoneyWithdrawn:
		withdrawn = ev.Amount
	default:
		return nil
	}
	var currency string
	err := rm.QueryRow(ctx, `SELECT currency FROM {daily_totals_currencies} WHERE account_id = ?`, account).Scan(&currency)
	if err != nil {
		return fmt.Errorf("the currency of account %s: %w", account, err)
	}
	_, err = rm.Exec(ctx, `
		INSERT INTO {daily_totals} (day, currency, deposited, withdrawn, deposits, withdrawals)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (day, currency) DO UPDATE SET
			deposited = deposited + excluded.deposited, withdrawn = withdrawn + excluded.withdrawn,
			deposits = deposits + excluded.deposits, withdrawals = withdrawals + excluded.withdrawals`,
		e.RecordedAt.UTC().Format(dayFormat), currency, deposited, withdrawn, min(deposited, 1), min(withdrawn, 1))
	return err
}

// DailyTotalsQuery asks for the totals of the days From to To (both included,
// "2024-05-01"; http_queries.go checks them), once the read model has reached
// MinPosition.
type DailyTotalsQuery struct {
	From, To    string
	MinPosition int64
}

func (q DailyTotalsQuery) AtLeast() int64 { return q.MinPosition }

// DailyTotalsReport is the totals of a range of days, day by day, currency by
// currency; days without payments have no row.
type DailyTotalsReport struct {
	From   string       `json:"from"`
	To     string       `json:"to"`
	Totals []DailyTotal `json:"totals"`
}

// readDailyTotals reads the totals of a range of days.
func readDailyTotals(ctx context.Context, db *sql.DB, q DailyTotalsQuery) (DailyTotalsReport, error) {
	rows, err := db.QueryContext(ctx, `SELECT day, currency, deposited, withdrawn, deposits, withdrawals FROM daily_totals
		WHERE day >= ? AND day <= ? ORDER BY day, currency`, q.From, q.To)
	if err != nil {
		return DailyTotalsReport{}, fmt.Errorf("read daily totals: %w", err)
	}
	defer rows.Close()
	report := DailyTotalsReport{From: q.From, To: q.To, Totals: []DailyTotal{}}
	for rows.Next() {
		var t DailyTotal
		if err := rows.Scan(&t.Day, &t.Currency, &t.Deposited, &t.Withdrawn, &t.Deposits, &t.Withdrawals); err != nil {
			return DailyTotalsReport{}, fmt.Errorf("read daily totals: %w", err)
		}
		report.Totals = append(report.Totals, t)
	}
	return report, rows.Err()
}
