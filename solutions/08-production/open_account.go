package bank

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// OpenAccount asks for a new account.
type OpenAccount struct {
	Owner          string     `json:"owner"`       // the holder's legal name
	HolderType     HolderType `json:"holder_type"` // Person or Company; empty means Person
	Kind           Kind       `json:"kind"`
	Currency       string     `json:"currency"`
	OverdraftLimit int64      `json:"overdraft_limit"`
}

// maxOwnerLength caps an owner's name, in characters.
const maxOwnerLength = 100

func (OpenAccount) Name() string { return "OpenAccount" }

// Validate checks the shape of the request (HTTP 400 when wrong). The rules of
// each kind of account are the factory's business (HTTP 422 when broken).
func (o OpenAccount) Validate() error {
	if err := checkOwner(o.Owner); err != nil {
		return err
	}
	if h := o.holder(); h.Type != Person && h.Type != Company {
		return &ValidationError{Field: "holder_type", Problem: fmt.Sprintf("must be %q or %q, got %q", Person, Company, o.HolderType)}
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

// holder is who the account will belong to: a person unless the command says a company.
func (o OpenAccount) holder() Holder {
	if o.HolderType == "" {
		return Holder{LegalName: o.Owner, Type: Person}
	}
	return Holder{LegalName: o.Owner, Type: o.HolderType}
}

func checkOwner(owner string) error {
	switch {
	case strings.TrimSpace(owner) == "":
		return &ValidationError{Field: "owner", Problem: "must not be blank"}
	case utf8.RuneCountInString(owner) > maxOwnerLength:
		return &ValidationError{Field: "owner", Problem: fmt.Sprintf("must be at most %d characters", maxOwnerLength)}
	case strings.IndexFunc(owner, unicode.IsControl) >= 0:
		return &ValidationError{Field: "owner", Problem: "must not contain control characters"}
	case owner == ForgottenPersonalData, strings.HasPrefix(owner, encryptedPrefix):
		return &ValidationError{Field: "owner", Problem: fmt.Sprintf("must not be %q nor begin with %q: the store's marks of forgotten and encrypted names", ForgottenPersonalData, encryptedPrefix)}
	}
	return nil
}

// openAccount creates an account through the factory and saves it. It loads
// nothing, so a repeated Idempotency-Key is found by the append alone.
func (h *accountCommands) openAccount(ctx context.Context, msg Message[OpenAccount]) (CommandResult, error) {
	acc, err := h.factory.Open(msg.Command)
	if err != nil {
		return CommandResult{}, err
	}
	stored, err := h.repo.Save(ctx, acc, msg.Metadata, msg.key())
	if err != nil {
		return earlier(err)
	}
	return resultOf(acc.ID(), stored), nil
}
