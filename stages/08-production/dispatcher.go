package bank

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"
)

// A command is a message: a value that says what a client wants done
// (WithdrawMoney{AccountID, Amount, Reference}), handed to the one handler that
// does it. Before any handler runs, every command goes through the same steps.
// They are written once, here, as wrappers around a handler (decorators), not
// copied into every handler:
//
//	measured → logged → validated → identified → the command's handler (open_account.go, ...)
//
//   - measured counts it in the metrics, by outcome, and times it (metrics.go).
//   - logged writes one line per command: its name, id, outcome and duration.
//   - validated refuses a malformed command before anything is loaded: a
//     withdrawal of -5 costs no read of a stream, let alone a decision.
//   - identified makes the command's id the causation id of its events.
//
// The aggregate checks the rules again when it decides: the rules are its own,
// whoever calls it. Validation up front is about not doing work for nonsense.

// Command is what every command of the bank can do.
type Command interface {
	Name() string    // "WithdrawMoney": for the log, and for the idempotency record
	Validate() error // its shape, without loading anything: a *ValidationError (HTTP 400)
}

// Message is a command on its way to its handler.
type Message[C Command] struct {
	Command C
	// ID is the command's id: the client's Idempotency-Key when it sent one
	// (Keyed), else the request's own id. It becomes the causation id of the events.
	ID       string
	Keyed    bool
	Metadata Metadata // correlation and user, from the request
}

// key is the message's idempotency key: the client's key and the request it
// stands for (the command's name and fields); nil when the client sent no key.
func (m Message[C]) key() *IdempotencyKey {
	if !m.Keyed {
		return nil
	}
	fields, _ := json.Marshal(m.Command) // a command is plain fields: this cannot fail
	return &IdempotencyKey{Key: m.ID, Request: m.Command.Name() + " " + string(fields)}
}

// Handler carries out one kind of command. Each step of the pipeline takes a
// Handler and returns one, so the steps stack in any order.
type Handler[C Command] func(ctx context.Context, msg Message[C]) (CommandResult, error)

// pipeline puts a command's handler behind the steps every command goes through.
func pipeline[C Command](log *slog.Logger, m *Metrics, handle Handler[C]) Handler[C] {
	return measured(m, logged(log, validated(identified(handle))))
}

// validated refuses a malformed command before its handler runs.
func validated[C Command](next Handler[C]) Handler[C] {
	return func(ctx context.Context, msg Message[C]) (CommandResult, error) {
		if err := msg.Command.Validate(); err != nil {
			return CommandResult{}, err
		}
		return next(ctx, msg)
	}
}

// identified gives the command's events their causation: the command's id.
func identified[C Command](next Handler[C]) Handler[C] {
	return func(ctx context.Context, msg Message[C]) (CommandResult, error) {
		msg.Metadata.CausationID = msg.ID
		return next(ctx, msg)
	}
}

// logged writes one line per command once it is done, whatever the outcome.
func logged[C Command](log *slog.Logger, next Handler[C]) Handler[C] {
	return func(ctx context.Context, msg Message[C]) (CommandResult, error) {
		started := time.Now()
		res, err := next(ctx, msg)
		log.LogAttrs(ctx, slog.LevelInfo, "command",
			slog.String("command", msg.Command.Name()),
			slog.String("command_id", msg.ID),
			slog.Bool("idempotency_key", msg.Keyed),
			slog.Bool("replayed", res.Replayed),
			slog.String("outcome", OutcomeOf(res, err)),
			slog.String("correlation_id", msg.Metadata.CorrelationID),
			slog.Duration("duration", time.Since(started).Round(time.Microsecond)),
			slog.Any("error", err),
		)
		return res, err
	}
}
