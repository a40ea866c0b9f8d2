package production_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// What a reader of the statement service sees: a copy of a parked message stays a
// copy once its cause has gone, a statement shows its newest lines in the order
// they were applied, and the dead letters are listed in the order they were parked.
// (Found by a trial of plausible wrong solutions: each test names the one it catches.)

// A deposit parked because its account was not open yet, and then sent again
// after the opening, is a copy: the redrive applies it, the copy must not (a
// service that records the id after applying would apply it and still say
// "duplicate"). The id is recorded before anything is applied.
func TestGuard_ACopyOfAParkedMessageChangesNothingOnceItCouldApply(t *testing.T) {
	c := spec.Guard(t, stage, "statements.go", "a copy of a parked message changes nothing, even once it could apply")
	a := newApp(c, t)
	c.Doing("consume a deposit of 500 before its account's opening, then the opening, then the deposit again")
	c.Equal(fmt.Sprint([]string{bank.Parked, bank.Applied, bank.Duplicate}),
		fmt.Sprint(a.consume(c, depositMsg("m2", adaID, 500, "EUR"), openedMsg("m1", adaID, "EUR"), depositMsg("m2", adaID, 500, "EUR"))),
		"what became of each: parked, applied, and the copy a duplicate")
	st := a.statement(c, adaID)
	c.That(st.Balance == 0 && st.Deposits == 0 && len(st.Lines) == 0,
		"a balance of 0 and no line: the copy changes nothing (the parked deposit waits for its redrive)", fmt.Sprintf("%+v", st))
	parked := a.consumerDeadLetters(c, "statements")
	c.That(len(parked) == 1 && parked[0].MessageID == "m2", "one dead letter, the deposit's", jsonOf(parked))
}

// A statement shows its last maxLines (100) lines, oldest first: the newest
// payments, not the first hundred forever.
func TestGuard_AStatementShowsItsLastHundredLines(t *testing.T) {
	c := spec.Guard(t, stage, "statements_read.go", "a statement shows its last 100 lines")
	a := newApp(c, t)
	c.Doing("consume AccountOpened and 101 deposits of 1 (d001 to d101)")
	a.consume(c, openedMsg("m0", adaID, "EUR"))
	for i := 1; i <= 101; i++ {
		a.consume(c, depositMsg(fmt.Sprintf("d%03d", i), adaID, 1, "EUR"))
	}
	st := a.statement(c, adaID)
	got := fmt.Sprintf("%d lines", len(st.Lines))
	if n := len(st.Lines); n > 0 {
		got += fmt.Sprintf(", first %s, last %s (balance after %d)", st.Lines[0].MessageID, st.Lines[n-1].MessageID, st.Lines[n-1].BalanceAfter)
	}
	c.That(len(st.Lines) == 100 && st.Lines[0].MessageID == "d002" && st.Lines[99].MessageID == "d101" && st.Lines[99].BalanceAfter == 101,
		"100 lines, d002 to d101, the last with a balance after of 101", got)
}

// Lines are in the order the service applied them, each with the balance after
// it: not by the sender's clock, which another server or a redrive puts anywhere.
func TestGuard_StatementLinesAreInTheOrderApplied(t *testing.T) {
	c := spec.Guard(t, stage, "statements_read.go", "a statement's lines are in the order applied")
	a := newApp(c, t)
	late, early := depositMsg("m2", adaID, 100, "EUR"), depositMsg("m3", adaID, 50, "EUR")
	late.OccurredAt = time.Date(2024, 5, 1, 11, 0, 0, 0, time.UTC)
	early.OccurredAt = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	c.Doing("consume AccountOpened, a deposit of 100 that occurred at 11:00, then one of 50 that occurred at 10:00")
	a.consume(c, openedMsg("m1", adaID, "EUR"), late, early)
	st := a.statement(c, adaID)
	c.That(len(st.Lines) == 2 && st.Lines[0].MessageID == "m2" && st.Lines[0].BalanceAfter == 100 && st.Lines[1].MessageID == "m3" && st.Lines[1].BalanceAfter == 150,
		"m2 (balance after 100), then m3 (150): the order applied", fmt.Sprintf("%+v", st.Lines))
}

// The dead letters are listed oldest first by their id, the order they were
// parked in: parked_at is text (RFC 3339 with its trailing zeros dropped), which
// does not sort as time does ("10:00:00Z" after "10:00:00.5Z").
func TestGuard_ConsumerDeadLettersAreListedInTheOrderParked(t *testing.T) {
	c := spec.Guard(t, stage, "consumer_dead_letters.go", "dead letters are listed in the order parked")
	a := newApp(c, t)
	c.Doing("park p1 and then p2 (deposits for an account never opened), parked at 10:00:00 and 10:00:00.5")
	a.consume(c, depositMsg("p1", adaID, 5, "EUR"), depositMsg("p2", adaID, 5, "EUR"))
	execAll(c, a.db.Write, `UPDATE consumer_dead_letters SET parked_at = CASE message_id WHEN 'p1' THEN '2024-05-01T10:00:00Z' ELSE '2024-05-01T10:00:00.5Z' END`)
	parked := a.consumerDeadLetters(c, "statements")
	c.That(len(parked) == 2 && parked[0].MessageID == "p1" && parked[1].MessageID == "p2", "p1, then p2: in the order parked", jsonOf(parked))
}
