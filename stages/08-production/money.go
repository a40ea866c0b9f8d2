package bank

import "fmt"

// Money is an integer number of minor units (cents) in one currency. Never a float:
// 0.1 + 0.2 != 0.3 in binary floating point, and a bank must not round by accident.

// MaxAmount caps one deposit or withdrawal: 100 million in major units.
const MaxAmount int64 = 100_000_000_00

// MaxBalance caps a balance, so that no sum of amounts can overflow an int64.
const MaxBalance int64 = 1_000_000_000_000_00

// currencies are the ISO 4217 codes this bank keeps accounts in.
var currencies = map[string]bool{
	"AUD": true, "CAD": true, "CHF": true, "CZK": true, "DKK": true, "EUR": true,
	"GBP": true, "JPY": true, "NOK": true, "PLN": true, "SEK": true, "USD": true,
}

// IsCurrency reports whether code is a currency this bank supports.
func IsCurrency(code string) bool { return currencies[code] }

// checkAmount accepts a positive amount of at most MaxAmount minor units.
func checkAmount(amount int64) error {
	if amount <= 0 {
		return &ValidationError{Field: "amount",
			Problem: fmt.Sprintf("must be a positive number of minor units, got %d", amount)}
	}
	if amount > MaxAmount {
		return &ValidationError{Field: "amount",
			Problem: fmt.Sprintf("must be at most %d minor units, got %d", MaxAmount, amount)}
	}
	return nil
}
