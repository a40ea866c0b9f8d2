package bank

import (
	"context"

	"github.com/google/uuid"
)

// DepositMoney asks to pay an amount into an account, for a reason (reference).
// IfMatch, from the If-Match header, runs it only on the versions the client allows.
type DepositMoney struct {
	AccountID uuid.UUID    `json:"account_id"`
	Amount    int64        `json:"amount"`
	Reference string       `json:"reference"`
	IfMatch   Precondition `json:"-"`
}

func (DepositMoney) Name() string { return "DepositMoney" }

// Validate checks the account id, the amount and the reference.
func (d DepositMoney) Validate() error {
	return checkMoney(d.AccountID, d.Amount, d.Reference)
}

// depositMoney lets the account decide on the deposit.
func (h *accountCommands) depositMoney(ctx context.Context, msg Message[DepositMoney]) (CommandResult, error) {
	cmd := msg.Command
	return h.execute(ctx, cmd.AccountID, cmd.IfMatch, msg.Metadata, msg.key(),
		func(a *Account) error { return a.Deposit(cmd.Amount, cmd.Reference) })
}
