package bank

import (
	"errors"
	"fmt"
)

// Errors a caller can act on. The HTTP layer maps each to a status (http_errors.go).
// Three more live with what they are about: ErrConcurrency (HTTP 409,
// eventstore_append.go), ErrIdempotencyKeyReused (422, idempotency.go) and
// ErrProjectionBehind (503, projector.go).
var (
	ErrAccountNotFound   = errors.New("account not found")
	ErrAccountClosed     = errors.New("account is closed")
	ErrInsufficientFunds = errors.New("insufficient funds: the withdrawal would exceed the overdraft limit")
	ErrBalanceNotZero    = errors.New("only an account with a zero balance can be closed")
	ErrBalanceLimit      = errors.New("the deposit would take the balance over the bank's limit")
	ErrStaleVersion      = errors.New("stale version") // the client's If-Match names a version the account has left (HTTP 412)
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

// StaleVersionError says which versions the client's If-Match allowed and, when
// known, which version the account was at (HTTP 412).
type StaleVersionError struct {
	Expected Precondition
	Actual   int64 // 0 when the account moved on while the command ran
}

func (e *StaleVersionError) Error() string {
	if e.Actual == 0 {
		return fmt.Sprintf("%v: If-Match names %v, and the account changed while the command ran", ErrStaleVersion, e.Expected)
	}
	return fmt.Sprintf("%v: If-Match names %v, the account is at version %d", ErrStaleVersion, e.Expected, e.Actual)
}

func (e *StaleVersionError) Unwrap() error { return ErrStaleVersion }
