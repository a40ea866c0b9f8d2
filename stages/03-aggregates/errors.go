package bank

import (
	"errors"
	"fmt"
)

// Errors a caller can act on. The HTTP layer maps each to a status (http_errors.go).
var (
	ErrAccountNotFound   = errors.New("account not found")
	ErrAccountClosed     = errors.New("account is closed")
	ErrInsufficientFunds = errors.New("insufficient funds: the withdrawal would exceed the overdraft limit")
	ErrBalanceNotZero    = errors.New("only an account with a zero balance can be closed")
	ErrBalanceLimit      = errors.New("the deposit would take the balance over the bank's limit")
)

// ValidationError says which field of a request is malformed and why (HTTP 400).
type ValidationError struct {
	Field   string
	Problem string
}

func (e *ValidationError) Error() string { return fmt.Sprintf("%s %s", e.Field, e.Problem) }

// PolicyError is a well-formed request that the bank's rules refuse (HTTP 422),
// such as an overdraft on a savings account.
type PolicyError struct{ Reason string }

func (e *PolicyError) Error() string { return e.Reason }
