package bank

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
	"github.com/google/uuid"
)

// The whole state of the bank is one row per account, updated in place. After an
// update the previous balance is gone: this table can say what is, never what was.
const accountsSchema = `
CREATE TABLE IF NOT EXISTS accounts (
	id              TEXT PRIMARY KEY,
	owner           TEXT NOT NULL,
	kind            TEXT NOT NULL,
	currency        TEXT NOT NULL,
	balance         INTEGER NOT NULL,
	overdraft_limit INTEGER NOT NULL,
	status          TEXT NOT NULL,
	version         INTEGER NOT NULL,
	updated_at      TEXT NOT NULL
)`

// Accounts is the accounts table.
type Accounts struct {
	db *sqlitedb.DB
}

// NewAccounts creates the table if it does not exist yet.
func NewAccounts(ctx context.Context, db *sqlitedb.DB) (*Accounts, error) {
	if _, err := db.Write.ExecContext(ctx, accountsSchema); err != nil {
		return nil, fmt.Errorf("create accounts table: %w", err)
	}
	return &Accounts{db: db}, nil
}

// Open validates the request and inserts a new account with a zero balance.
func (a *Accounts) Open(ctx context.Context, req OpenAccount) (Account, error) {
	if err := req.Validate(); err != nil {
		return Account{}, err
	}
	acc := Account{
		ID: uuid.New(), Owner: req.Owner, Kind: req.Kind, Currency: req.Currency,
		OverdraftLimit: req.OverdraftLimit, Status: StatusOpen, Version: 1,
	}
	_, err := a.db.Write.ExecContext(ctx, `
		INSERT INTO accounts (id, owner, kind, currency, balance, overdraft_limit, status, version, updated_at)
		VALUES (?, ?, ?, ?, 0, ?, ?, 1, ?)`,
		acc.ID.String(), acc.Owner, acc.Kind, acc.Currency, acc.OverdraftLimit, acc.Status, now())
	if err != nil {
		return Account{}, fmt.Errorf("insert account: %w", err)
	}
	return acc, nil
}

// Get reads one account.
func (a *Accounts) Get(ctx context.Context, id uuid.UUID) (Account, error) {
	return scanAccount(a.db.Read.QueryRowContext(ctx, selectAccount+` WHERE id = ?`, id.String()))
}

const selectAccount = `SELECT id, owner, kind, currency, balance, overdraft_limit, status, version FROM accounts`

// returningAccount ends an UPDATE so that it hands back the row as written.
const returningAccount = ` RETURNING id, owner, kind, currency, balance, overdraft_limit, status, version`

// scanAccount reads one row of selectAccount or returningAccount.
func scanAccount(row *sql.Row) (Account, error) {
	var acc Account
	var id string
	err := row.Scan(&id, &acc.Owner, &acc.Kind, &acc.Currency, &acc.Balance, &acc.OverdraftLimit, &acc.Status, &acc.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, ErrAccountNotFound
	}
	if err != nil {
		return Account{}, fmt.Errorf("read account: %w", err)
	}
	acc.ID, err = uuid.Parse(id)
	if err != nil {
		return Account{}, fmt.Errorf("read account: malformed id %q: %w", id, err)
	}
	return acc, nil
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }
