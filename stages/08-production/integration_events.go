package bank

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// The events in the store are the bank's own. Their shape follows what the bank
// needs to decide and to rebuild an account, and it changes when the bank does:
// a field renamed, an event split in two. Other services must not depend on them.
// What they may rely on is a contract: integration events, a type of their own for
// each thing the bank announces, named with the version of the contract
// (bank.account.v1.MoneyWithdrawn), carrying only what others may use. A change
// that would break a consumer is a new version (v2) published beside the old one,
// never an edit of v1.
//
// Left out on purpose: the owner's name (personal data: other services ask for it
// where they are allowed to), the payment's reference (the customer's free text),
// the overdraft limit (the bank's credit policy), versions and positions (how the
// store is organised). Put in: the currency, which the internal money events do
// not carry (the account knows it), because an amount without its currency means
// nothing to anyone else.

// The types of the integration events, version 1 of the contract.
const (
	AccountOpenedV1Type  = "bank.account.v1.AccountOpened"
	MoneyDepositedV1Type = "bank.account.v1.MoneyDeposited"
	MoneyWithdrawnV1Type = "bank.account.v1.MoneyWithdrawn"
	AccountClosedV1Type  = "bank.account.v1.AccountClosed"
)

// AccountOpenedV1 announces a new account: its id, kind and currency.
type AccountOpenedV1 struct {
	AccountID string `json:"account_id"`
	Kind      string `json:"kind"`
	Currency  string `json:"currency"`
}

// MoneyDepositedV1 announces money paid into an account.
type MoneyDepositedV1 struct {
	AccountID string `json:"account_id"`
	Amount    int64  `json:"amount"` // minor units of Currency
	Currency  string `json:"currency"`
}

// MoneyWithdrawnV1 announces money paid out of an account.
type MoneyWithdrawnV1 struct {
	AccountID string `json:"account_id"`
	Amount    int64  `json:"amount"` // minor units of Currency
	Currency  string `json:"currency"`
}

// AccountClosedV1 announces that an account takes no more payments.
type AccountClosedV1 struct {
	AccountID string `json:"account_id"`
}

// IntegrationMessage is an integration event on its way to other services: its envelope
// (loosely CloudEvents' core attributes) and its data. It is written to the
// outbox as it will be sent, in the transaction of the events it announces.
type IntegrationMessage struct {
	// ID is the same on every delivery of this message: the relay delivers at least
	// once, so a consumer that sees an id again drops the copy.
	ID      string `json:"message_id"`
	Type    string `json:"type"`    // bank.account.v1.MoneyWithdrawn
	Subject string `json:"subject"` // the account's id: one account's messages arrive in order
	// OccurredAt is when the bank recorded the event (UTC).
	OccurredAt    time.Time       `json:"occurred_at"`
	CorrelationID string          `json:"correlation_id"` // the conversation that caused it, for tracing across services
	Data          json.RawMessage `json:"data"`
}

// Outgoing turns the events an append stored into the messages that announce
// them; the append writes those to the outbox in its transaction.
type Outgoing func(stored []Envelope) ([]IntegrationMessage, error)

// IntegrationEvents is the Outgoing of an account's append: each stored event
// becomes the message that announces it, if the contract has one for it. The
// account is needed for what its events do not carry (the currency).
func IntegrationEvents(account AccountView) Outgoing {
	return func(stored []Envelope) ([]IntegrationMessage, error) {
		var out []IntegrationMessage
		for _, e := range stored {
			typ, data, err := integrationEvent(account, e)
			if err != nil {
				return nil, fmt.Errorf("integration event for %s %d of %s: %w", e.Type, e.Version, e.StreamID, err)
			}
			if typ == "" {
				continue // not announced
			}
			m, err := newMessage(typ, account, e, data)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
		return out, nil
	}
}

// integrationEvent is the contract: the type and data of the integration event
// that announces e, or "" for an event the bank does not announce. account is
// the account as it is after the append (its currency is set even for the
// AccountOpened that set it).
func integrationEvent(account AccountView, e Envelope) (string, any, error) {
	// AccountOpened, MoneyDeposited, MoneyWithdrawn and AccountClosed are announced
	// (AccountOpenedV1Type with an AccountOpenedV1, ...); OpeningBalanceMigrated is not.
	// The money events take the account's id and currency from account.
	switch ev := e.Event.(type) {
	case AccountOpened:
		return AccountOpenedV1Type, AccountOpenedV1{AccountID: ev.AccountID, Kind: string(ev.Kind), Currency: ev.Currency}, nil
	case MoneyDeposited:
		return MoneyDepositedV1Type, MoneyDepositedV1{AccountID: account.ID.String(), Amount: ev.Amount, Currency: account.Currency}, nil
	case MoneyWithdrawn:
		return MoneyWithdrawnV1Type, MoneyWithdrawnV1{AccountID: account.ID.String(), Amount: ev.Amount, Currency: account.Currency}, nil
	case AccountClosed:
		return AccountClosedV1Type, AccountClosedV1{AccountID: account.ID.String()}, nil
	}
	return "", nil, nil // OpeningBalanceMigrated: a fact of the migration, news to no one
}

// newMessage wraps an integration event's data in its envelope. The message id is
// derived from the event's id and the message's type (a name-based UUID): the
// same event always gives the same message id, and one event announced in two
// versions of the contract gives two.
func newMessage(typ string, account AccountView, e Envelope, data any) (IntegrationMessage, error) {
	eventID, err := uuid.Parse(e.EventID)
	if err != nil {
		return IntegrationMessage{}, fmt.Errorf("integration event: event id %q: %w", e.EventID, err)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return IntegrationMessage{}, fmt.Errorf("integration event %s: %w", typ, err)
	}
	return IntegrationMessage{
		ID: uuid.NewSHA1(eventID, []byte(typ)).String(), Type: typ, Subject: account.ID.String(),
		OccurredAt: e.RecordedAt.UTC(), CorrelationID: e.Metadata.CorrelationID, Data: raw,
	}, nil
}
