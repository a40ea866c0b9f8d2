package bank

import (
	"context"

	"github.com/google/uuid"
)

// ForgetPersonalData asks the bank to forget an account holder's personal data
// (crypto-shredding, personal_data.go): the account must be closed. IfMatch,
// from the If-Match header, runs it only on the versions the client allows.
type ForgetPersonalData struct {
	AccountID uuid.UUID    `json:"account_id"`
	IfMatch   Precondition `json:"-"`
}

func (ForgetPersonalData) Name() string { return "ForgetPersonalData" }

// Validate checks the account id.
func (c ForgetPersonalData) Validate() error { return checkAccountID(c.AccountID) }

// forgetPersonalData lets the account decide on forgetting.
func (h *accountCommands) forgetPersonalData(ctx context.Context, msg Message[ForgetPersonalData]) (CommandResult, error) {
	cmd := msg.Command
	return h.execute(ctx, cmd.AccountID, cmd.IfMatch, msg.Metadata, msg.key(), (*Account).ForgetPersonalData)
}
