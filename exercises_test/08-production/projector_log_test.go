package production_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// How the projector reads the log: a row it cannot decode is an event to park,
// a row it cannot read at all stops it.

func TestGuard_TheLogHandsOverARowItCannotDecodeAndFailsOnOneItCannotRead(t *testing.T) {
	c := spec.Guard(t, stage, "eventstore.go (ReadLog, scanEnvelope)",
		"ReadLog hands over a row it cannot decode, with its place and why (an error that wraps the cause); a row it cannot even read fails the read")
	a := newApp(c, t)
	a.appendLog(c, ada, opened(ada, "Ada Lovelace", "EUR"))
	spec.InsertEvent(c, a.db, bank.StreamID(adaID), 2, "MoneyTeleported", `{"amount":5}`) // a type this code does not know
	a.appendMore(c, ada, bank.MoneyDeposited{Amount: 5})
	c.Doing("ReadLog(0, 10) on a log whose second row has a type this code does not know")
	logged, err := a.store.ReadLog(c.Ctx(), 0, 10)
	c.NoError(err, "ReadLog")
	c.Equal(3, len(logged), "rows read (the one that does not decode too: the projector parks it)")
	bad := logged[1]
	c.That(bad.Position == 2 && bad.StreamID == bank.StreamID(adaID) && bad.Version == 2 && bad.Type == "MoneyTeleported",
		"the row's position (2), stream, version (2) and type (MoneyTeleported), for its dead letter",
		fmt.Sprintf("position %d, stream %s, version %d, type %q", bad.Position, bad.StreamID, bad.Version, bad.Type))
	c.That(errors.Is(bad.Err, bank.ErrUnknownEventType), "its Err wrapping bank.ErrUnknownEventType (errors.Is finds the cause)", fmt.Sprintf("Err = %v", bad.Err))
	c.That(logged[0].Err == nil && logged[2].Err == nil, "no Err on the two rows that decode", fmt.Sprintf("%v; %v", logged[0].Err, logged[2].Err))
	c.Doing("ReadLog(0, 10) once the third row's version is 'three', not a number")
	execAll(c, a.db.Write, `UPDATE events SET version = 'three' WHERE global_position = 3`)
	logged, err = a.store.ReadLog(c.Ctx(), 0, 10)
	c.That(err != nil && logged == nil, "an error and no rows: a row that cannot be read has no place to park it by, and must not be skipped",
		fmt.Sprintf("%d rows, error %v", len(logged), err))
}

func TestGuard_AProjectionStopsOnALogItCannotRead(t *testing.T) {
	c := spec.Guard(t, stage, "projector.go (catchUp) and eventstore.go (ReadLog)",
		"a row of the log that cannot be read (unlike one that does not decode) stops the projection, failed and saying why: it is neither skipped nor parked")
	a := newApp(c, t)
	a.appendLog(c, ada, opened(ada, "Ada Lovelace", "EUR"), bank.MoneyDeposited{Amount: 5})
	execAll(c, a.db.Write, `UPDATE events SET version = 'two' WHERE global_position = 2`)
	p, calls := tally("tally", nil)
	projector := a.projector(c, p)
	c.Doing("run a projection on a log whose second row has the version 'two'")
	runProjector(t, projector)
	s := waitStopped(c, a, projector, "tally")
	c.That(s.Status == "failed" && strings.Contains(s.Error, "two") && s.Checkpoint == 0,
		"the projection failed at checkpoint 0, its error naming the value it could not read", jsonOf(s))
	c.Equal(int64(0), calls.Load(), "calls of Apply (the batch that holds the row is not applied, not even its first event)")
	c.Equal(0, len(a.consumerDeadLetters(c, "tally")), "events parked")
}
