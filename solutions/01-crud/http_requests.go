package bank

import (
	"net/http"

	"github.com/go-es-workshop/kit/internal/web"
	"github.com/google/uuid"
)

// The JSON bodies of the commands. Pointer fields tell "missing" from zero, so that
// {"amount":0} and {} get different, accurate errors.

type openAccountRequest struct {
	Owner          *string `json:"owner"`
	Kind           *string `json:"kind"`
	Currency       *string `json:"currency"`
	OverdraftLimit *int64  `json:"overdraft_limit"`
}

// toCommand reports every missing field at once; the rules come later, in Validate.
func (r openAccountRequest) toCommand() (OpenAccount, error) {
	var missing []string
	if r.Owner == nil {
		missing = append(missing, "owner is required")
	}
	if r.Kind == nil {
		missing = append(missing, "kind is required")
	}
	if r.Currency == nil {
		missing = append(missing, "currency is required")
	}
	if err := web.Fields(missing...); err != nil {
		return OpenAccount{}, err
	}
	cmd := OpenAccount{Owner: *r.Owner, Kind: Kind(*r.Kind), Currency: *r.Currency}
	if r.OverdraftLimit != nil {
		cmd.OverdraftLimit = *r.OverdraftLimit
	}
	return cmd, nil
}

type amountRequest struct {
	Amount *int64 `json:"amount"`
}

func (r amountRequest) amount() (int64, error) {
	if r.Amount == nil {
		return 0, web.Fields("amount is required")
	}
	return *r.Amount, nil
}

// transferRequest is the body of a transfer: the account the money goes to, and
// how much.
type transferRequest struct {
	To     *string `json:"to"`
	Amount *int64  `json:"amount"`
}

// parse reports every missing field at once, then a "to" that is not an account id.
func (r transferRequest) parse() (uuid.UUID, int64, error) {
	var missing []string
	if r.To == nil {
		missing = append(missing, "to is required")
	}
	if r.Amount == nil {
		missing = append(missing, "amount is required")
	}
	if err := web.Fields(missing...); err != nil {
		return uuid.Nil, 0, err
	}
	to, err := uuid.Parse(*r.To)
	if err != nil || len(*r.To) != 36 {
		return uuid.Nil, 0, web.Problemf(http.StatusBadRequest,
			"to %q is not an account id (a UUID like 0190c6a8-7d3e-7a1b-9c2d-3e4f5a6b7c8d)", *r.To)
	}
	return to, *r.Amount, nil
}
