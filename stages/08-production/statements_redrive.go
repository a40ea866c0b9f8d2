package bank

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// A parked message is kept as it came, so that once its cause is gone (the
// service's code fixed, the opening it was waiting for arrived) an operator can
// hand it to the service again: POST /consumer-dead-letters/{id}/redrive. The
// redrive is one transaction: the dead letter leaves the table, the message's id
// leaves processed_messages, and the message is processed as if it had just
// come. If it still cannot be applied it is parked again, with today's reason.

// ErrConsumerDeadLetterNotFound means the statement service parked no message with that id (HTTP 404).
var ErrConsumerDeadLetterNotFound = errors.New("no parked message with this id")

// Redrive processes the parked message id again, and says what became of it.
func (s *Statements) Redrive(ctx context.Context, id int64) (string, error) {
	tx, err := s.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	// The message is in the dead letter's data column, as JSON of an IntegrationMessage.
	var raw string
	err = tx.QueryRowContext(ctx, `DELETE FROM consumer_dead_letters WHERE id = ? AND consumer = ? RETURNING data`, id, statementsConsumer).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("%w: %d", ErrConsumerDeadLetterNotFound, id)
	}
	if err != nil {
		return "", fmt.Errorf("redrive %d: %w", id, err)
	}
	var m IntegrationMessage
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return "", fmt.Errorf("redrive %d: the parked message: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM processed_messages WHERE consumer = ? AND message_id = ?`, statementsConsumer, m.ID); err != nil {
		return "", fmt.Errorf("redrive %d: %w", id, err)
	}
	outcome, err := s.consume(ctx, tx, m)
	if err != nil {
		return "", err
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("redrive %d: commit: %w", id, err)
	}
	return outcome, nil
}
