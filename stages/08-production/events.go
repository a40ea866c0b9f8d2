package bank

// Events are facts: things that happened to an account, named in the past tense.
// They are never changed or deleted once stored; a correction is a new event.
// Each carries just what happened, in JSON field names that stay stable as the
// Go code changes (see registry.go for how they are named in storage).

// Event is any of the events below.
type Event interface{ event() }

// AccountOpened starts every account's stream. This is schema version 3 of it;
// the rows of versions 1 and 2 are stored as they were written and upcast on
// read (upcasters_account_opened.go says what changed).
type AccountOpened struct {
	AccountID      string `json:"account_id"`
	Holder         Holder `json:"holder"`
	Kind           Kind   `json:"kind"`
	Currency       string `json:"currency"`
	OverdraftLimit int64  `json:"overdraft_limit"`
}

// Holder is who an account belongs to: a person or a company, by legal name.
// The legal name is personal data: the store encrypts it (personal_data.go).
type Holder struct {
	LegalName string     `json:"legal_name"`
	Type      HolderType `json:"type"`
}

// MoneyDeposited: amount minor units were paid in, for the reason the client gave
// (the reference, such as "salary March"; may be empty).
type MoneyDeposited struct {
	Amount    int64  `json:"amount"`
	Reference string `json:"reference,omitempty"`
}

// MoneyWithdrawn: amount minor units were paid out, for the reason the client gave
// (the reference, such as "rent"; may be empty).
type MoneyWithdrawn struct {
	Amount    int64  `json:"amount"`
	Reference string `json:"reference,omitempty"`
}

// AccountClosed: the account takes no more deposits or withdrawals.
type AccountClosed struct{}

// OpeningBalanceMigrated carries over the balance a legacy CRUD row held when the
// account moved to event sourcing. The history before it is unknown, and the
// event says exactly that instead of inventing deposits that never happened.
type OpeningBalanceMigrated struct {
	Balance int64  `json:"balance"`
	Source  string `json:"source"`
}

// PersonalDataForgotten: the bank forgot the holder's personal data, as the
// holder asked, once the account was closed. The store deletes the key its name
// was encrypted with in the same transaction: the events keep it, as noise.
type PersonalDataForgotten struct{}

func (AccountOpened) event()          {}
func (MoneyDeposited) event()         {}
func (MoneyWithdrawn) event()         {}
func (AccountClosed) event()          {}
func (OpeningBalanceMigrated) event() {}
func (PersonalDataForgotten) event()  {}
