package bank

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A deposit or a withdrawal may carry a reference: the business reason the client
// gives for it ("salary March", "rent"). It is stored in the event, so the stream
// can say not only how the balance got to 40 but why. It is not the correlation
// id: that is a technical trace id, the same for everything one conversation did.

// maxReferenceLength caps a reference, in characters (as on a bank transfer).
const maxReferenceLength = 140

// checkReference accepts no reference ("") or a short line of text.
func checkReference(reference string) error {
	switch {
	case utf8.RuneCountInString(reference) > maxReferenceLength:
		return &ValidationError{Field: "reference", Problem: fmt.Sprintf("must be at most %d characters", maxReferenceLength)}
	case strings.IndexFunc(reference, unicode.IsControl) >= 0:
		return &ValidationError{Field: "reference", Problem: "must not contain control characters"}
	}
	return nil
}
