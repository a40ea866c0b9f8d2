package bank

import "github.com/google/uuid"

// Kind is the kind of account; each kind has its own overdraft rule (see the factory).
type Kind string

const (
	Checking Kind = "checking" // may go below zero, down to its overdraft limit
	Savings  Kind = "savings"  // never below zero
)

// HolderType says whether an account belongs to a person or to a company.
type HolderType string

const (
	Person  HolderType = "person"
	Company HolderType = "company" // from schema version 2 of AccountOpened; every account before was a person's
)

// Status is where an account is in its life.
type Status string

const (
	StatusOpen   Status = "open"
	StatusClosed Status = "closed"
)

// MaxOverdraftLimit caps the overdraft a checking account may be given: 5,000.00.
const MaxOverdraftLimit int64 = 5_000_00

// AccountView is an account as the API shows it: a read-only copy of the
// aggregate's state, with exported fields for JSON.
type AccountView struct {
	ID             uuid.UUID  `json:"id"`
	Owner          string     `json:"owner"` // the holder's legal name
	HolderType     HolderType `json:"holder_type"`
	Kind           Kind       `json:"kind"`
	Currency       string     `json:"currency"`
	Balance        int64      `json:"balance"`
	OverdraftLimit int64      `json:"overdraft_limit"`
	Status         Status     `json:"status"`
	Version        int64      `json:"version"`
}
