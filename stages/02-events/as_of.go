package bank

import (
	"errors"
	"time"

	"github.com/go-es-workshop/kit/internal/exercise"
)

// The past is queryable: the account as it was at any moment is the fold over the
// part of its stream recorded by then. Nothing is stored for it.

// ErrNotOpenYet means nothing of an account's stream had been recorded by the time
// asked for: the account did not exist yet (HTTP 404, like an unknown account).
var ErrNotOpenYet = errors.New("the account was not open yet at that time")

// ReplayAsOf folds the part of a stream's history that was recorded at or before
// asOf: the account as the bank knew it at that moment. "Recorded" is when the
// store appended the event (its RecordedAt), not a date a client gave a payment.
// The state as of a moment is a prefix of the stream: every event was decided on
// the state before it, so the fold stops at the first event recorded later. It
// never skips one and applies a later one, even if the clock stepped back between
// them and the later version carries an earlier time.
func ReplayAsOf(history []Envelope, asOf time.Time) (Account, error) {
	// TODO(2.5): Stretch (optional): fold only the events recorded at or before asOf,
	//   from the first up to (not including) the first recorded after it; none is
	//   ErrNotOpenYet.
	// Compare times with RecordedAt.After(asOf), never as text: RFC 3339 strings
	// with fractions of seconds or other offsets do not sort as the times they name.
	return Account{}, exercise.Stretch("2.5")
}
