package bank

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

// The statement service is another service in miniature: it keeps each
// account's balance as the bank's announcements tell it, for the statements it
// sends customers. It lives in this process and this database file to keep the
// workshop small, but it shares nothing with the bank except the messages: its
// own tables, its own read of the contract (integration_events.go), and the
// relay as its only way in (or POST /statements/messages, its webhook).
//
// The relay delivers at least once (stage 5): a message can arrive twice, after a
// crash between publish and mark, a lost acknowledgement, a redrive. Adding an
// amount twice is a wrong balance. So the service makes each message count once
// in effect: it records the message's id in processed_messages in the SAME
// transaction as the change the message makes. Either both are stored or
// neither; a copy finds its id there and changes nothing. (Recording the id in a
// transaction of its own does not do it: a crash between the two either loses
// the message or applies it twice.)

const statementsSchema = `
CREATE TABLE IF NOT EXISTS statements (
	account_id  TEXT PRIMARY KEY,
	currency    TEXT NOT NULL,
	balance     INTEGER NOT NULL,
	deposits    INTEGER NOT NULL,
	withdrawals INTEGER NOT NULL,
	status      TEXT NOT NULL
)`

// A statement's lines: one per payment, with the balance after it.
const statementLinesSchema = `
CREATE TABLE IF NOT EXISTS statement_lines (
	account_id    TEXT NOT NULL,
	message_id    TEXT NOT NULL,
	amount        INTEGER NOT NULL,
	balance_after INTEGER NOT NULL,
	occurred_at   TEXT NOT NULL,
	PRIMARY KEY (account_id, message_id)
)`

const processedMessagesSchema = `
CREATE TABLE IF NOT EXISTS processed_messages (
	consumer     TEXT NOT NULL,
	message_id   TEXT NOT NULL,
	processed_at TEXT NOT NULL,
	PRIMARY KEY (consumer, message_id)
)`

// statementsConsumer is the statement service's name in processed_messages and consumer_dead_letters.
const statementsConsumer = "statements"

// What became of a message.
const (
	Applied   = "applied"   // its change is in the statements
	Duplicate = "duplicate" // it was processed before: nothing changed
	Parked    = "parked"    // it cannot be applied: it is in consumer_dead_letters
)

// ErrStatementNotFound means the service has no statement for an account (HTTP 404).
var ErrStatementNotFound = errors.New("no statement for this account")

// Statements is the statement service. It is a Publisher: the relay delivers to it.
type Statements struct {
	db  *sqlitedb.DB
	log *slog.Logger
}

// NewStatements creates the service's tables, if they do not exist yet.
func NewStatements(ctx context.Context, db *sqlitedb.DB, log *slog.Logger) (*Statements, error) {
	for _, schema := range []string{statementsSchema, statementLinesSchema, processedMessagesSchema, consumerDeadLettersSchema} {
		if _, err := db.Write.ExecContext(ctx, schema); err != nil {
			return nil, fmt.Errorf("create the statement service's tables: %w", err)
		}
	}
	return &Statements{db: db, log: log}, nil
}

func (s *Statements) String() string { return "statement service (in process)" }

// Publish takes a message from the relay. A parked message is taken too: it
// will not get better by being sent again. Only a failure to store anything
// (a busy database, say) is a refusal, which the relay tries again later.
func (s *Statements) Publish(ctx context.Context, m IntegrationMessage) error {
	_, err := s.Consume(ctx, m)
	return err
}

// Consume processes m once in effect and says what became of it: Applied,
// Duplicate or Parked.
func (s *Statements) Consume(ctx context.Context, m IntegrationMessage) (string, error) {
	tx, err := s.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback() // a no-op after Commit
	outcome, err := s.consume(ctx, tx, m)
	if err != nil {
		return "", err
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("message %s: commit: %w", m.ID, err)
	}
	if outcome == Parked {
		s.log.Warn("statement service: message parked", "message_id", m.ID, "type", m.Type)
	}
	return outcome, nil
}

// consume does Consume's work on tx: it records m's id, or finds it recorded,
// and applies m, or parks it.
func (s *Statements) consume(ctx context.Context, tx *sql.Tx, m IntegrationMessage) (string, error) {
	// recordOnce is below, undo in savepoint.go. SAVEPOINT name and RELEASE name are plain
	// SQL statements on tx. (No busy database to tell from poison here: the
	// transaction holds the write lock from its BEGIN, so SQLite cannot answer
	// busy inside it. A failure to park is returned, and the relay tries again.)
	if first, err := recordOnce(ctx, tx, m.ID); err != nil || !first {
		return Duplicate, err
	}
	if _, err := tx.ExecContext(ctx, `SAVEPOINT message`); err != nil {
		return "", err
	}
	if problem := applyStatement(ctx, tx, m); problem != nil {
		if err := undo(ctx, tx, "message"); err != nil {
			return "", err
		}
		return Parked, s.park(ctx, tx, m, problem)
	}
	_, err := tx.ExecContext(ctx, `RELEASE message`)
	return Applied, err
}

// recordOnce records message id as processed, on tx, and reports whether it is
// the first time: a copy finds its id there already.
func recordOnce(ctx context.Context, tx *sql.Tx, id string) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO processed_messages (consumer, message_id, processed_at)
		VALUES (?, ?, ?) ON CONFLICT (consumer, message_id) DO NOTHING`,
		statementsConsumer, id, time.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return false, fmt.Errorf("message %s: record it: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// park puts message m, which the service cannot apply, in consumer_dead_letters, as it came.
func (s *Statements) park(ctx context.Context, tx *sql.Tx, m IntegrationMessage, why error) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO consumer_dead_letters (consumer, build, message_id, type, subject, data, reason, parked_at)
		VALUES (?, '', ?, ?, ?, ?, ?, ?)`,
		statementsConsumer, m.ID, m.Type, m.Subject, string(raw), why.Error(), time.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("park message %s: %w", m.ID, err)
	}
	return nil
}
