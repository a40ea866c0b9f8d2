package bank

import (
	"fmt"

	"github.com/go-es-workshop/kit/internal/web"
)

// The JSON bodies of the commands. Pointer fields tell "missing" from zero, so that
// {"amount":0} and {} get different, accurate errors.

type openAccountRequest struct {
	Owner          *string `json:"owner"`
	HolderType     *string `json:"holder_type"` // optional: "person" when absent
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
	if r.HolderType != nil {
		if *r.HolderType == "" { // sent, so meant: "" is not a way to say "person"
			return OpenAccount{}, web.Fields(fmt.Sprintf("holder_type must be %q or %q when given", Person, Company))
		}
		cmd.HolderType = HolderType(*r.HolderType)
	}
	if r.OverdraftLimit != nil {
		cmd.OverdraftLimit = *r.OverdraftLimit
	}
	return cmd, nil
}

// moneyRequest is the body of a deposit or a withdrawal: an amount, and the
// reason for it if the client gives one.
type moneyRequest struct {
	Amount    *int64 `json:"amount"`
	Reference string `json:"reference"`
}

func (r moneyRequest) amount() (int64, error) {
	if r.Amount == nil {
		return 0, web.Fields("amount is required")
	}
	return *r.Amount, nil
}
