package bank

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/google/uuid"
)

// A silent zero creeps in on reading: json.Unmarshal leaves a missing field at
// its zero value, so a payload of the wrong version, or a damaged one, turns into
// a deposit of 0 or an account without a holder, and nothing says so. A decoded
// event is therefore checked twice: every field its type declares (without
// omitempty) is present in the JSON, and the values are ones the bank writes.
//
// Only the shape is checked, not today's business rules: MaxAmount and the
// overdraft cap have not always been what they are, and a stored fact is not
// refused for breaking a rule made after it. Fields the type does not declare are
// ignored (a tolerant reader): adding an optional field needs no new version.

// requiredFields lists the JSON names of E's fields that have no omitempty.
func requiredFields[E Event]() []string {
	var names []string
	t := reflect.TypeFor[E]()
	for i := range t.NumField() {
		name, options, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" && !strings.Contains(options, "omitempty") {
			names = append(names, name)
		}
	}
	return names
}

// decodeStrictly decodes data into an E, refusing JSON without one of required
// or with a null in its place.
func decodeStrictly[E Event](data []byte, required []string) (Event, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, err
	}
	var missing []string
	for _, name := range required {
		if v, ok := fields[name]; !ok || string(v) == "null" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	var e E
	err := json.Unmarshal(data, &e)
	return e, err
}

// checkEvent refuses values the bank never writes.
func checkEvent(event Event) error {
	switch e := event.(type) {
	case AccountOpened:
		switch {
		case uuid.Validate(e.AccountID) != nil:
			return fmt.Errorf("account_id %q is not a UUID", e.AccountID)
		case strings.TrimSpace(e.Holder.LegalName) == "":
			return fmt.Errorf("holder.legal_name is blank")
		case e.Holder.Type != Person && e.Holder.Type != Company:
			return fmt.Errorf("holder.type %q is neither %q nor %q", e.Holder.Type, Person, Company)
		case e.Kind != Checking && e.Kind != Savings:
			return fmt.Errorf("kind %q is neither %q nor %q", e.Kind, Checking, Savings)
		case !isCurrencyCode(e.Currency):
			return fmt.Errorf("currency %q is not three capital letters", e.Currency)
		case e.OverdraftLimit < 0:
			return fmt.Errorf("overdraft_limit %d is negative", e.OverdraftLimit)
		}
	case MoneyDeposited:
		return checkStoredAmount(e.Amount)
	case MoneyWithdrawn:
		return checkStoredAmount(e.Amount)
	case OpeningBalanceMigrated:
		if strings.TrimSpace(e.Source) == "" {
			return fmt.Errorf("source is blank")
		}
	}
	return nil
}

// checkStoredAmount refuses a negative amount: a deposit of -5 would be a
// withdrawal in disguise. A stored 0 is odd (no command writes one) but it is
// there, not a silent zero: a missing amount is refused before this.
func checkStoredAmount(amount int64) error {
	if amount < 0 {
		return fmt.Errorf("amount %d is negative", amount)
	}
	return nil
}

// isCurrencyCode is the shape of an ISO 4217 code. Not IsCurrency: a currency
// the bank no longer offers was still the currency of the accounts opened in it.
func isCurrencyCode(code string) bool {
	if len(code) != 3 {
		return false
	}
	for _, r := range code {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}
