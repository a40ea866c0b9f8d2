package production_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// Stage 6 (kept): a parked message is processed again.

func TestGuard_ARedrivenMessageIsProcessedOnceItsCauseIsGone(t *testing.T) {
	c := spec.Guard(t, stage, "statements_redrive.go", "a redriven message is processed once its cause is gone")
	a := newApp(c, t)
	c.Doing("consume a deposit before its account's opening (parked), then the opening")
	c.Equal(fmt.Sprint([]string{bank.Parked, bank.Applied}), fmt.Sprint(a.consume(c, depositMsg("m2", adaID, 500, "EUR"), openedMsg("m1", adaID, "EUR"))), "what became of each")
	parked := a.consumerDeadLetters(c, "statements")
	c.Equal(1, len(parked), "dead letters")
	c.Doing("redrive the parked deposit")
	outcome, err := a.Statements.Redrive(c.Ctx(), parked[0].ID)
	c.NoError(err, "Redrive")
	c.Equal(bank.Applied, outcome, "what became of it")
	c.Equal(int64(500), a.statement(c, adaID).Balance, "the balance")
	c.Equal(0, len(a.consumerDeadLetters(c, "statements")), "dead letters (the redriven one is gone)")
	c.Equal(2, count(c, a.db, "processed_messages"), "processed messages (m2 once)")
	c.Doing("the relay delivers the deposit again after the redrive")
	c.Equal(fmt.Sprint([]string{bank.Duplicate}), fmt.Sprint(a.consume(c, depositMsg("m2", adaID, 500, "EUR"))), "what became of it")
	c.Equal(int64(500), a.statement(c, adaID).Balance, "the balance")
	_, err = a.Statements.Redrive(c.Ctx(), parked[0].ID)
	c.ErrorIs(err, bank.ErrConsumerDeadLetterNotFound, "ErrConsumerDeadLetterNotFound for a dead letter redriven already")
}

func TestGuard_AMessageStillPoisonIsParkedAgain(t *testing.T) {
	c := spec.Guard(t, stage, "statements_redrive.go", "a message still poison is parked again")
	a := newApp(c, t)
	a.consume(c, openedMsg("m1", adaID, "EUR"), depositMsg("m2", adaID, 500, "JPY"))
	first := a.consumerDeadLetters(c, "statements")
	c.Doing("redrive a message that still cannot be applied")
	outcome, err := a.Statements.Redrive(c.Ctx(), first[0].ID)
	c.NoError(err, "Redrive")
	c.Equal(bank.Parked, outcome, "what became of it")
	again := a.consumerDeadLetters(c, "statements")
	c.That(len(again) == 1 && again[0].ID != first[0].ID && again[0].MessageID == "m2" && again[0].Reason == first[0].Reason,
		"one dead letter of m2, parked anew with its reason", jsonOf(again))
	c.Equal(int64(0), a.statement(c, adaID).Balance, "the balance")
}

func TestGuard_ARedriveIsOneTransaction(t *testing.T) {
	c := spec.Guard(t, stage, "statements_redrive.go", "a redrive is one transaction")
	a := newApp(c, t)
	a.consume(c, depositMsg("m2", adaID, 500, "EUR"), openedMsg("m1", adaID, "EUR"))
	parked := a.consumerDeadLetters(c, "statements")
	execAll(c, a.db.Write, `CREATE TRIGGER broken BEFORE UPDATE ON statements BEGIN SELECT RAISE(ABORT, 'disk trouble'); END`,
		`CREATE TRIGGER no_parking BEFORE INSERT ON consumer_dead_letters BEGIN SELECT RAISE(ABORT, 'no room for dead letters'); END`)
	c.Doing("redrive when the message can neither be applied nor parked again")
	_, err := a.Statements.Redrive(c.Ctx(), parked[0].ID)
	c.That(err != nil, "an error", "no error")
	c.Equal(1, len(a.consumerDeadLetters(c, "statements")), "dead letters (the message is still parked: nothing of the redrive stayed)")
	c.Equal(2, count(c, a.db, "processed_messages"), "processed messages")
	c.Doing("redrive an id that is no dead letter")
	_, err = a.Statements.Redrive(c.Ctx(), 999)
	c.ErrorIs(err, bank.ErrConsumerDeadLetterNotFound, "ErrConsumerDeadLetterNotFound")
	execAll(c, a.db.Write, `DROP TRIGGER broken`, `DROP TRIGGER no_parking`)
	c.Doing("redrive a dead letter of a projection (an event it parked: a rebuild cures those, not a redrive)")
	a.appendLog(c, bob, opened(bob, "Bob", "EUR"))
	spec.InsertEvent(c, a.db, bank.StreamID(bobID), 2, "MoneyTeleported", `{}`)
	a.run(t)
	c.NoError(<-waitFor(c, a.Projector.Projection(bank.AccountsByOwnerProjection), 2), "WaitFor(2)")
	projections := a.consumerDeadLetters(c, bank.AccountsByOwnerProjection)
	c.Equal(1, len(projections), "the projection's dead letters")
	_, err = a.Statements.Redrive(c.Ctx(), projections[0].ID)
	c.ErrorIs(err, bank.ErrConsumerDeadLetterNotFound, "ErrConsumerDeadLetterNotFound (the statement service re-drives its own dead letters only)")
	c.Equal(1, len(a.consumerDeadLetters(c, bank.AccountsByOwnerProjection)), "the projection's dead letters (untouched)")
}

func TestGuard_ARedriveOverHTTP(t *testing.T) {
	c := spec.Guard(t, stage, "statements_redrive.go", "a redrive over HTTP")
	api, _ := newAPI(t)
	account := "0190c6a8-0000-7000-8000-00000000beef"
	c.Status(api.Post("/statements/messages", depositMsg("w2", account, 40, "EUR")), http.StatusOK)
	c.Status(api.Post("/statements/messages", openedMsg("w1", account, "EUR")), http.StatusOK)
	var body struct {
		Parked []bank.ConsumerDeadLetter `json:"consumer_dead_letters"`
	}
	c.NoError(api.Get("/dead-letters").Decode(&body), "decoding GET /dead-letters")
	c.Equal(1, len(body.Parked), "consumer dead letters")
	path := fmt.Sprintf("/consumer-dead-letters/%d/redrive", body.Parked[0].ID)
	c.Doing("POST %s", path)
	r := api.Post(path, nil)
	c.NoStub(r)
	c.Status(r, http.StatusOK)
	c.That(r.String("outcome") == bank.Applied, "outcome applied", r.Describe())
	c.That(api.Get("/statements/"+account).Int("balance") == 40, "a balance of 40", api.Get("/statements/"+account).Describe())
	for _, bad := range []struct {
		path string
		body any
		want int
	}{
		{path, nil, http.StatusNotFound},
		{"/consumer-dead-letters/0/redrive", nil, http.StatusBadRequest},
		{"/consumer-dead-letters/x/redrive", nil, http.StatusBadRequest},
		{path, map[string]any{"force": true}, http.StatusBadRequest}, // a redrive takes no body
	} {
		c.Doing("POST %s with the body %s", bad.path, jsonOf(bad.body))
		c.Status(api.Post(bad.path, bad.body), bad.want)
	}
}

func TestGuard_ARedriveThatCannotFinishIsA500AndChangesNothing(t *testing.T) {
	c := spec.Guard(t, stage, "statements_redrive.go", "a redrive that cannot finish is a 500 and changes nothing")
	api, db := newAPI(t)
	account := "0190c6a8-0000-7000-8000-00000000beef"
	c.Status(api.Post("/statements/messages", depositMsg("w2", account, 40, "EUR")), http.StatusOK)
	c.Status(api.Post("/statements/messages", openedMsg("w1", account, "EUR")), http.StatusOK)
	var id int64
	var data string
	c.NoError(db.Read.QueryRow(`SELECT id, data FROM consumer_dead_letters WHERE message_id = 'w2'`).Scan(&id, &data), "reading w2's dead letter")
	path := fmt.Sprintf("/consumer-dead-letters/%d/redrive", id)
	execAll(c, db.Write, `PRAGMA foreign_keys = ON`, `CREATE TABLE parent (id TEXT PRIMARY KEY)`,
		`CREATE TABLE child (parent TEXT REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)`)
	for _, trouble := range []struct {
		name, setup, undo string
		why               string // what the server's log must say, if anything in particular
	}{
		{"the dead letter cannot be deleted", `CREATE TRIGGER kept BEFORE DELETE ON consumer_dead_letters BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`,
			`DROP TRIGGER kept`, "refused by the test"},
		{"the parked message is not JSON", `UPDATE consumer_dead_letters SET data = 'five euros'`, "", ""},
		{"its id cannot leave processed_messages", `CREATE TRIGGER kept BEFORE DELETE ON processed_messages BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`,
			`DROP TRIGGER kept`, "refused by the test"},
		{"the commit fails (a deferred foreign key)", `CREATE TRIGGER orphan AFTER DELETE ON consumer_dead_letters BEGIN INSERT INTO child VALUES ('nobody'); END`,
			`DROP TRIGGER orphan`, ""},
	} {
		execAll(c, db.Write, trouble.setup)
		c.Doing("POST %s when %s", path, trouble.name)
		logged := len(api.Log())
		c.Status(api.Post(path, nil), http.StatusInternalServerError)
		c.That(strings.Contains(api.Log()[logged:], trouble.why), "the server's log saying why: "+trouble.why, api.Log()[logged:])
		c.Equal(2, count(c, db, "processed_messages"), "processed messages")
		c.That(count(c, db, "consumer_dead_letters") == 1 && api.Get("/statements/"+account).Int("balance") == 0,
			"w2 still parked, the balance still 0: nothing of the redrive stayed", api.Get("/dead-letters").Describe())
		if trouble.undo != "" {
			execAll(c, db.Write, trouble.undo)
		} else {
			_, err := db.Write.Exec(`UPDATE consumer_dead_letters SET data = ?`, data)
			c.NoError(err, "putting the parked message back (test setup)")
		}
	}
	c.Doing("POST %s once the troubles are over", path)
	r := api.Post(path, nil)
	c.Status(r, http.StatusOK)
	c.That(r.String("outcome") == bank.Applied && api.Get("/statements/"+account).Int("balance") == 40, "w2 applied: a balance of 40", r.Describe())
}
