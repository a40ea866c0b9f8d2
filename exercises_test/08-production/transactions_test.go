package production_test

import (
	"time"

	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
	"github.com/google/uuid"
)

var (
	ada = uuid.MustParse(adaID)
	bob = uuid.MustParse(bobID)
)

// givenLog starts a Given/When/Then scenario for a projection.
func givenLog[R any](c *spec.Check, log ...bank.Envelope) *spec.ProjectionScenario[bank.Envelope, R] {
	return spec.GivenLog[bank.Envelope, R](c, describeEnvelope, log...)
}

// historyOf applies the log to a fresh transaction history and reads a page of
// the account's lines.
func historyOf(c *spec.Check, t *testing.T, account uuid.UUID, afterVersion int64, limit int) func([]bank.Envelope) ([]bank.Transaction, error) {
	return func(log []bank.Envelope) ([]bank.Transaction, error) {
		a := newApp(c, t)
		if err := a.apply(c, bank.TransactionHistoryProjection, log...); err != nil {
			return nil, err
		}
		page, err := a.Queries.TransactionHistory(c.Ctx(), bank.TransactionsQuery{AccountID: account, AfterVersion: afterVersion, Limit: limit})
		if err == nil {
			next := afterVersion
			if n := len(page.Transactions); n > 0 {
				next = page.Transactions[n-1].Version
			}
			c.Equal(next, page.NextAfterVersion, "next_after_version (the last line's version, or after_version for an empty page)")
		}
		return page.Transactions, err
	}
}

// line is the line the envelope e should make, with the given kind, amount, reference and balance.
func line(e bank.Envelope, kind string, amount int64, reference string, balance int64) bank.Transaction {
	return bank.Transaction{Version: e.Version, Position: e.Position, Kind: kind, Amount: amount, Reference: reference,
		BalanceAfter: balance, RecordedAt: e.RecordedAt.UTC()}
}

func TestGuard_EveryEventIsALineWithTheBalanceAfterIt(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "every event is a line with the balance after it")
	log := logOf(opened(ada, "Ada Lovelace", "EUR"),
		bank.MoneyDeposited{Amount: 5000, Reference: "salary March"},
		bank.MoneyWithdrawn{Amount: 3000, Reference: "rent"},
		bank.MoneyWithdrawn{Amount: 1960, Reference: "groceries"})
	givenLog[bank.Transaction](c, log...).
		When("Ada's transactions", historyOf(c, t, ada, 0, 100)).
		ThenRows(
			line(log[0], "opened", 0, "", 0),
			line(log[1], "deposit", 5000, "salary March", 5000),
			line(log[2], "withdrawal", -3000, "rent", 2000),
			line(log[3], "withdrawal", -1960, "groceries", 40))
}

func TestGuard_EachAccountHasItsOwnLinesAndBalance(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "each account has its own lines and balance")
	log := logOf(ada, opened(ada, "Ada Lovelace", "EUR"), bob, opened(bob, "Bob", "EUR"),
		ada, bank.MoneyDeposited{Amount: 100}, bob, bank.MoneyDeposited{Amount: 7},
		ada, bank.MoneyWithdrawn{Amount: 130, Reference: "cinema"}, bob, bank.MoneyWithdrawn{Amount: 2})
	givenLog[bank.Transaction](c, log...).
		When("Ada's transactions", historyOf(c, t, ada, 0, 100)).
		ThenRows(line(log[0], "opened", 0, "", 0), line(log[2], "deposit", 100, "", 100), line(log[4], "withdrawal", -130, "cinema", -30))
	givenLog[bank.Transaction](c, log...).
		When("Bob's transactions", historyOf(c, t, bob, 0, 100)).
		ThenRows(line(log[1], "opened", 0, "", 0), line(log[3], "deposit", 7, "", 7), line(log[5], "withdrawal", -2, "", 5))
}

func TestGuard_AMigratedBalanceAndAClosingAreLinesToo(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "a migrated balance and a closing are lines too")
	log := logOf(opened(ada, "Ada Lovelace", "EUR"),
		bank.OpeningBalanceMigrated{Balance: -4000, Source: "legacy accounts table"},
		bank.MoneyDeposited{Amount: 4000, Reference: "settle"},
		bank.AccountClosed{})
	givenLog[bank.Transaction](c, log...).
		When("Ada's transactions", historyOf(c, t, ada, 0, 100)).
		ThenRows(
			line(log[0], "opened", 0, "", 0),
			line(log[1], "opening balance", -4000, "", -4000),
			line(log[2], "deposit", 4000, "settle", 0),
			line(log[3], "closed", 0, "", 0))
}

func TestGuard_TimesAreKeptInUTC(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "times are kept in UTC")
	plusOne := at(1, 0).In(time.FixedZone("UTC+1", 3600))
	log := logOf(plusOne, opened(ada, "Ada Lovelace", "EUR"), bank.MoneyDeposited{Amount: 5})
	givenLog[bank.Transaction](c, log...).
		When("Ada's transactions, for events recorded at 11:00 in UTC+1", historyOf(c, t, ada, 0, 100)).
		ThenRows(line(log[0], "opened", 0, "", 0), line(log[1], "deposit", 5, "", 5))
}

func TestGuard_APageStartsAfterAVersion(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "a page starts after a version")
	log := logOf(opened(ada, "Ada Lovelace", "EUR"), bank.MoneyDeposited{Amount: 1}, bank.MoneyDeposited{Amount: 2},
		bank.MoneyDeposited{Amount: 3}, bank.MoneyWithdrawn{Amount: 6})
	givenLog[bank.Transaction](c, log...).
		When("Ada's transactions after version 2, at most 2", historyOf(c, t, ada, 2, 2)).
		ThenRows(line(log[2], "deposit", 2, "", 3), line(log[3], "deposit", 3, "", 6))
	givenLog[bank.Transaction](c, log...).
		When("Ada's transactions after version 5 (the last): none", historyOf(c, t, ada, 5, 2)).
		ThenRows()
	givenLog[bank.Transaction](c, log...).
		When("the transactions of an account that is not in the log", historyOf(c, t, bob, 0, 2)).
		ThenFails(bank.ErrAccountNotFound)
}

func TestGuard_AHistoryThatCannotBeReadIsAnError(t *testing.T) {
	c := spec.Guard(t, stage, "projector_batch.go", "a history that cannot be read is an error")
	log := logOf(opened(ada, "Ada Lovelace", "EUR"), bank.MoneyDeposited{Amount: 5})
	for _, bad := range []struct{ name, setup string }{
		{"its table gone", `DROP VIEW account_transactions`},
		{"an amount that is not a number", `UPDATE account_transactions_blue SET amount = 'lots'`},
		{"a recorded_at that is not a time", `UPDATE account_transactions_blue SET recorded_at = 'yesterday'`},
		{"a balance that is not a number", `UPDATE account_transactions_blue SET balance_after = 'lots'`},
	} {
		a := newApp(c, t)
		c.NoError(a.apply(c, bank.TransactionHistoryProjection, log...), "applying the log")
		execAll(c, a.db.Write, bad.setup)
		c.Doing("read Ada's transactions with %s", bad.name)
		_, err := a.Queries.TransactionHistory(c.Ctx(), bank.TransactionsQuery{AccountID: ada, Limit: 10})
		c.That(err != nil, "an error, never an answer made up from what could be read", "no error")
	}
	a := newApp(c, t)
	c.NoError(a.apply(c, bank.TransactionHistoryProjection, log[0]), "applying AccountOpened")
	execAll(c, a.db.Write, `UPDATE account_transactions_blue SET balance_after = 'lots'`)
	c.Doing("apply a deposit after a line whose balance cannot be read")
	c.NoError(a.apply(c, bank.TransactionHistoryProjection, log[1]), "applying the deposit (it is parked)")
	parked := a.consumerDeadLetters(c, bank.TransactionHistoryProjection)
	c.That(len(parked) == 1 && parked[0].Position == log[1].Position && parked[0].Consumer == bank.TransactionHistoryProjection,
		"the deposit parked: the balance after it cannot be known", jsonOf(parked))
	var lines int
	c.NoError(a.db.Read.QueryRow(`SELECT COUNT(*) FROM account_transactions`).Scan(&lines), "counting the lines")
	c.Equal(1, lines, "lines in the history (the opening only: no line made up for the deposit)")
}
