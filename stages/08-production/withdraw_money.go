package bank

import (
	"context"

	"github.com/google/uuid"
)

// WithdrawMoney asks to pay an amount out of an account, for a reason (reference).
// IfMatch, from the If-Match header, runs it only on the versions the client allows.
type WithdrawMoney struct {
	AccountID uuid.UUID    `json:"account_id"`
	Amount    int64        `json:"amount"`
	Reference string       `json:"reference"`
	IfMatch   Precondition `json:"-"`
}

func (WithdrawMoney) Name() string { return "WithdrawMoney" }

// Validate checks the account id, the amount and the reference.
func (w WithdrawMoney) Validate() error {
	return checkMoney(w.AccountID, w.Amount, w.Reference)
}

// withdrawMoney lets the account decide on the withdrawal.
func (h *accountCommands) withdrawMoney(ctx context.Context, msg Message[WithdrawMoney]) (CommandResult, error) {
	cmd := msg.Command
	return h.execute(ctx, cmd.AccountID, cmd.IfMatch, msg.Metadata, msg.key(),
		func(a *Account) error { return a.Withdraw(cmd.Amount, cmd.Reference) })
}
