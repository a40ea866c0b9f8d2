package bank

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Kind is the kind of account; each kind has its own overdraft rule (see the factory).
type Kind string

const (
	Checking Kind = "checking" // may go below zero, down to its overdraft limit
	Savings  Kind = "savings"  // never below zero
)

// Status is where an account is in its life.
type Status string

const (
	StatusOpen   Status = "open"
	StatusClosed Status = "closed"
)

// MaxOverdraftLimit caps the overdraft a checking account may be given: 5,000.00.
const MaxOverdraftLimit int64 = 5_000_00

// maxOwnerLength caps an owner's name, in characters.
const maxOwnerLength = 100

// AccountView is an account as the API shows it: a read-only copy of the
// aggregate's state, with exported fields for JSON.
type AccountView struct {
	ID             uuid.UUID `json:"id"`
	Owner          string    `json:"owner"`
	Kind           Kind      `json:"kind"`
	Currency       string    `json:"currency"`
	Balance        int64     `json:"balance"`
	OverdraftLimit int64     `json:"overdraft_limit"`
	Status         Status    `json:"status"`
	Version        int64     `json:"version"`
}

// OpenAccount asks for a new account.
type OpenAccount struct {
	Owner          string
	Kind           Kind
	Currency       string
	OverdraftLimit int64
}

// Validate checks the shape of the request (HTTP 400 when wrong). The rules of
// each kind of account are the factory's business (HTTP 422 when broken).
func (o OpenAccount) Validate() error {
	if err := checkOwner(o.Owner); err != nil {
		return err
	}
	if o.Kind != Checking && o.Kind != Savings {
		return &ValidationError{Field: "kind", Problem: fmt.Sprintf("must be %q or %q, got %q", Checking, Savings, o.Kind)}
	}
	if !IsCurrency(o.Currency) {
		return &ValidationError{Field: "currency", Problem: fmt.Sprintf("must be a supported ISO 4217 code such as EUR, got %q", o.Currency)}
	}
	if o.OverdraftLimit < 0 {
		return &ValidationError{Field: "overdraft_limit", Problem: "must not be negative"}
	}
	return nil
}

func checkOwner(owner string) error {
	switch {
	case strings.TrimSpace(owner) == "":
		return &ValidationError{Field: "owner", Problem: "must not be blank"}
	case utf8.RuneCountInString(owner) > maxOwnerLength:
		return &ValidationError{Field: "owner", Problem: fmt.Sprintf("must be at most %d characters", maxOwnerLength)}
	case strings.IndexFunc(owner, unicode.IsControl) >= 0:
		return &ValidationError{Field: "owner", Problem: "must not contain control characters"}
	}
	return nil
}
