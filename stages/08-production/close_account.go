package bank

import (
	"context"

	"github.com/google/uuid"
)

// CloseAccount asks to close an account. IfMatch, from the If-Match header, runs
// it only on the versions the client allows.
type CloseAccount struct {
	AccountID uuid.UUID    `json:"account_id"`
	IfMatch   Precondition `json:"-"`
}

func (CloseAccount) Name() string { return "CloseAccount" }

// Validate checks the account id.
func (c CloseAccount) Validate() error { return checkAccountID(c.AccountID) }

// closeAccount lets the account decide on closing.
func (h *accountCommands) closeAccount(ctx context.Context, msg Message[CloseAccount]) (CommandResult, error) {
	cmd := msg.Command
	return h.execute(ctx, cmd.AccountID, cmd.IfMatch, msg.Metadata, msg.key(), (*Account).Close)
}
