package production_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// Stage 6 (kept): the statement service processes each message once in effect.

// msg is a message of the contract, as the relay would deliver it.
func msg(id, typ, account, data string) bank.IntegrationMessage {
	return bank.IntegrationMessage{ID: id, Type: typ, Subject: account, OccurredAt: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC),
		CorrelationID: "corr-1", Data: json.RawMessage(data)}
}

func openedMsg(id, account, currency string) bank.IntegrationMessage {
	return msg(id, bank.AccountOpenedV1Type, account, fmt.Sprintf(`{"account_id":%q,"kind":"checking","currency":%q}`, account, currency))
}

func depositMsg(id, account string, amount int64, currency string) bank.IntegrationMessage {
	return msg(id, bank.MoneyDepositedV1Type, account, moneyData(account, amount, currency))
}

func withdrawalMsg(id, account string, amount int64, currency string) bank.IntegrationMessage {
	return msg(id, bank.MoneyWithdrawnV1Type, account, moneyData(account, amount, currency))
}

// consume hands the messages to the statement service in order, and returns what became of each.
func (a *app) consume(c *spec.Check, messages ...bank.IntegrationMessage) []string {
	var outcomes []string
	for _, m := range messages {
		outcome, err := a.Statements.Consume(c.Ctx(), m)
		c.NoError(err, "Consume("+m.ID+")")
		outcomes = append(outcomes, outcome)
	}
	return outcomes
}

// statement is the statement service's statement of account.
func (a *app) statement(c *spec.Check, account string) bank.Statement {
	st, err := a.Statements.Statement(c.Ctx(), account)
	c.NoError(err, "Statement("+account+")")
	return st
}

func TestGuard_AMessageDeliveredTwiceCountsOnce(t *testing.T) {
	c := spec.Guard(t, stage, "statements.go", "a message delivered twice counts once")
	a := newApp(c, t)
	c.Doing("consume AccountOpened, a deposit of 500, the same deposit again, a withdrawal of 200, and the withdrawal again")
	outcomes := a.consume(c, openedMsg("m1", adaID, "EUR"), depositMsg("m2", adaID, 500, "EUR"), depositMsg("m2", adaID, 500, "EUR"),
		withdrawalMsg("m3", adaID, 200, "EUR"), withdrawalMsg("m3", adaID, 200, "EUR"))
	c.Equal(fmt.Sprint([]string{bank.Applied, bank.Applied, bank.Duplicate, bank.Applied, bank.Duplicate}), fmt.Sprint(outcomes), "what became of each")
	st := a.statement(c, adaID)
	c.That(st.Balance == 300 && st.Deposits == 1 && st.Withdrawals == 1 && st.Currency == "EUR" && st.Status == "open",
		"a balance of 300 from one deposit and one withdrawal, in EUR, open", fmt.Sprintf("%+v", st))
	c.That(len(st.Lines) == 2 && st.Lines[0].MessageID == "m2" && st.Lines[0].Amount == 500 && st.Lines[0].BalanceAfter == 500 &&
		st.Lines[1].MessageID == "m3" && st.Lines[1].Amount == -200 && st.Lines[1].BalanceAfter == 300 && st.Lines[1].OccurredAt.Equal(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)),
		"two lines: m2 +500 (500), m3 -200 (300), each at its message's time", fmt.Sprintf("%+v", st.Lines))
	c.Equal(3, count(c, a.db, "processed_messages"), "processed messages (one row per message id)")
	c.Doing("consume a copy of the opening, then close the account, twice")
	outcomes = a.consume(c, openedMsg("m1", adaID, "EUR"), msg("m4", bank.AccountClosedV1Type, adaID, fmt.Sprintf(`{"account_id":%q}`, adaID)),
		msg("m4", bank.AccountClosedV1Type, adaID, fmt.Sprintf(`{"account_id":%q}`, adaID)))
	c.Equal(fmt.Sprint([]string{bank.Duplicate, bank.Applied, bank.Duplicate}), fmt.Sprint(outcomes), "what became of each")
	st = a.statement(c, adaID)
	c.That(st.Balance == 300 && st.Status == "closed", "a balance of 300, closed", fmt.Sprintf("%+v", st))
	c.Equal(0, len(a.consumerDeadLetters(c, "statements")), "messages parked (a copy is no poison)")
}

func TestGuard_MessagesAreKeptApartByTheirIdsAlone(t *testing.T) {
	c := spec.Guard(t, stage, "statements.go", "messages are kept apart by their ids alone")
	a := newApp(c, t)
	c.Doing("consume two deposits of the same amount, with different ids, into one account")
	a.consume(c, openedMsg("m1", adaID, "EUR"), depositMsg("m2", adaID, 500, "EUR"), depositMsg("m3", adaID, 500, "EUR"))
	c.That(a.statement(c, adaID).Balance == 1000, "1000: two messages are two deposits, however alike", fmt.Sprintf("%+v", a.statement(c, adaID)))
	c.Doing("consume the second account's opening and a deposit with the same message id as one of Ada's")
	outcomes := a.consume(c, openedMsg("m4", bobID, "GBP"), depositMsg("m2", bobID, 70, "GBP"))
	c.Equal(fmt.Sprint([]string{bank.Applied, bank.Duplicate}), fmt.Sprint(outcomes), "what became of each (an id is the message's, whatever it says)")
	var processedAt string
	c.NoError(a.db.Read.QueryRow(`SELECT processed_at FROM processed_messages WHERE consumer = 'statements' AND message_id = 'm2'`).Scan(&processedAt),
		"reading m2's row of processed_messages (consumer statements)")
	at, err := time.Parse(time.RFC3339Nano, processedAt)
	c.That(err == nil && time.Since(at) < time.Minute && strings.HasSuffix(processedAt, "Z"), "processed_at: when it was processed, in UTC (RFC 3339)", processedAt)
}

func TestGuard_AMessageWhoseProcessingFailedIsProcessedWhenItComesAgain(t *testing.T) {
	c := spec.Guard(t, stage, "statements.go", "a message whose processing failed is processed when it comes again")
	a := newApp(c, t)
	a.consume(c, openedMsg("m1", adaID, "EUR"))
	execAll(c, a.db.Write, `PRAGMA foreign_keys = ON`, `CREATE TABLE parent (id TEXT PRIMARY KEY)`,
		`CREATE TABLE child (parent TEXT REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)`)
	for i, trouble := range []struct {
		name        string
		setup, undo []string
	}{
		{"can neither be applied nor parked", []string{
			`CREATE TRIGGER broken BEFORE UPDATE ON statements BEGIN SELECT RAISE(ABORT, 'disk trouble'); END`,
			`CREATE TRIGGER no_parking BEFORE INSERT ON consumer_dead_letters BEGIN SELECT RAISE(ABORT, 'no room for dead letters'); END`},
			[]string{`DROP TRIGGER broken`, `DROP TRIGGER no_parking`}},
		{"cannot be committed (a deferred foreign key fails at COMMIT)", []string{
			`CREATE TRIGGER orphan AFTER INSERT ON processed_messages BEGIN INSERT INTO child VALUES ('nobody'); END`},
			[]string{`DROP TRIGGER orphan`}},
	} {
		id := fmt.Sprintf("m%d", i+2)
		execAll(c, a.db.Write, trouble.setup...)
		c.Doing("consume a deposit of 500 (%s) that %s: the relay would get an error, and send it again", id, trouble.name)
		_, err := a.Statements.Consume(c.Ctx(), depositMsg(id, adaID, 500, "EUR"))
		c.That(err != nil, "an error: nothing could be stored", "no error")
		c.Equal(i+1, count(c, a.db, "processed_messages"), "processed messages ("+id+"'s id is recorded with its change, so not at all: the transaction failed)")
		c.Equal(int64(500*i), a.statement(c, adaID).Balance, "the balance")
		execAll(c, a.db.Write, trouble.undo...)
		c.Doing("the relay sends %s again, once the trouble is over", id)
		c.Equal(fmt.Sprint([]string{bank.Applied}), fmt.Sprint(a.consume(c, depositMsg(id, adaID, 500, "EUR"))),
			"what became of it (not a duplicate: its first delivery changed nothing)")
		c.Equal(int64(500*(i+1)), a.statement(c, adaID).Balance, "the balance")
	}
	c.Equal(0, count(c, a.db, "consumer_dead_letters"), "dead letters")
}

func TestGuard_AMessageThatCannotBeKeptAsItCameIsNotParked(t *testing.T) {
	c := spec.Guard(t, stage, "statements.go", "a message that cannot be kept as it came is not parked")
	a := newApp(c, t)
	a.consume(c, openedMsg("m1", adaID, "EUR"))
	c.Doing("consume a deposit whose data is not JSON at all (a publisher in this process can hand over any bytes)")
	_, err := a.Statements.Consume(c.Ctx(), msg("m2", bank.MoneyDepositedV1Type, adaID, `five euros`))
	c.That(err != nil, "an error: a dead letter keeps its message as it came, to be redriven, and this one cannot be written as JSON", "no error")
	c.Equal(0, count(c, a.db, "consumer_dead_letters"), "dead letters (none without its message)")
	c.Equal(1, count(c, a.db, "processed_messages"), "processed messages (m2 was not processed)")
}

func TestGuard_AMessageTheStatementsCannotTakeIsParkedWithTheDatabasesReason(t *testing.T) {
	c := spec.Guard(t, stage, "statements.go", "a message the statements cannot take is parked with the databases reason")
	c.KeptBy("statements_apply.go")
	a := newApp(c, t)
	a.consume(c, openedMsg("m1", adaID, "EUR"))
	for _, trouble := range []struct {
		name, setup, undo string
		m                 bank.IntegrationMessage
		reason            string // a part of the reason
	}{
		{"a closing, when the statements refuse every update",
			`CREATE TRIGGER stuck BEFORE UPDATE ON statements BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`, `DROP TRIGGER stuck`,
			msg("m2", bank.AccountClosedV1Type, adaID, fmt.Sprintf(`{"account_id":%q}`, adaID)), "refused by the test"},
		{"a deposit, when the statements table is gone", `ALTER TABLE statements RENAME TO statements_gone`, `ALTER TABLE statements_gone RENAME TO statements`,
			depositMsg("m3", adaID, 500, "EUR"), "no such table: statements"},
	} {
		execAll(c, a.db.Write, trouble.setup)
		c.Doing("consume %s", trouble.name)
		c.Equal(fmt.Sprint([]string{bank.Parked}), fmt.Sprint(a.consume(c, trouble.m)), "what became of it")
		execAll(c, a.db.Write, trouble.undo)
		parked := a.consumerDeadLetters(c, "statements")
		c.That(len(parked) > 0 && parked[len(parked)-1].MessageID == trouble.m.ID && strings.Contains(parked[len(parked)-1].Reason, trouble.reason),
			fmt.Sprintf("a dead letter of %s whose reason is what the database said (%q)", trouble.m.ID, trouble.reason), jsonOf(parked))
	}
	st := a.statement(c, adaID)
	c.That(st.Balance == 0 && st.Status == "open" && len(st.Lines) == 0, "Ada's statement as it was: open, 0, no lines", fmt.Sprintf("%+v", st))
}

func TestGuard_APoisonMessageIsParkedAndTheServiceGoesOn(t *testing.T) {
	c := spec.Guard(t, stage, "statements.go", "a poison message is parked and the service goes on")
	a := newApp(c, t)
	a.consume(c, openedMsg("m1", adaID, "EUR"))
	for _, poison := range []struct {
		why    string
		m      bank.IntegrationMessage
		reason string // a part of the reason
	}{
		{"a type the service does not know", msg("p1", "bank.account.v1.MoneyTeleported", adaID, moneyData(adaID, 5, "EUR")), "MoneyTeleported"},
		{"data that is not the type's JSON", msg("p2", bank.MoneyDepositedV1Type, adaID, `"five euros"`), "data"},
		{"an amount of 0", depositMsg("p3", adaID, 0, "EUR"), "amount"},
		{"a negative amount", withdrawalMsg("p4", adaID, -5, "EUR"), "amount"},
		{"an amount in another currency than the account's", depositMsg("p5", adaID, 5, "JPY"), "JPY"},
		{"money for an account never opened", depositMsg("p6", bobID, 5, "EUR"), bobID},
		{"a second opening of the account", openedMsg("p7", adaID, "GBP"), adaID},
		{"a closing of an account never opened", msg("p8", bank.AccountClosedV1Type, bobID, fmt.Sprintf(`{"account_id":%q}`, bobID)), bobID},
		{"an opening without a currency", openedMsg("p9", bobID, ""), "currency"},
		{"an opening without an account_id", msg("p10", bank.AccountOpenedV1Type, bobID, `{"kind":"checking","currency":"EUR"}`), "account_id"},
		{"an opening whose kind is a number", msg("p11", bank.AccountOpenedV1Type, bobID, fmt.Sprintf(`{"account_id":%q,"kind":7,"currency":"EUR"}`, bobID)), "kind"},
		{"a closing whose account_id comes twice, the second time as a number",
			msg("p12", bank.AccountClosedV1Type, adaID, fmt.Sprintf(`{"account_id":%q,"account_id":7}`, adaID)), "account_id"},
		{"an amount in the account's currency written in lower case", depositMsg("p13", adaID, 5, "eur"), "eur"},
	} {
		c.Doing("consume %s, then a deposit of 1", poison.why)
		outcomes := a.consume(c, poison.m, depositMsg("ok-"+poison.m.ID, adaID, 1, "EUR"))
		c.Equal(fmt.Sprint([]string{bank.Parked, bank.Applied}), fmt.Sprint(outcomes), "what became of each")
		parked := a.consumerDeadLetters(c, "statements")
		last := parked[len(parked)-1]
		c.That(last.MessageID == poison.m.ID && last.Type == poison.m.Type && last.Subject == poison.m.Subject && strings.Contains(last.Reason, poison.reason) &&
			last.Position == 0 && time.Since(last.ParkedAt) < time.Minute,
			fmt.Sprintf("a dead letter of %s (%s), its reason mentioning %q, parked now", poison.m.ID, poison.m.Type, poison.reason), jsonOf(last))
	}
	c.Doing("read Ada's statement, the dead letters and the server's log after the thirteen poison messages")
	st := a.statement(c, adaID)
	c.That(st.Balance == 13 && st.Deposits == 13 && st.Withdrawals == 0 && st.Currency == "EUR" && st.Status == "open",
		"13 deposits of 1, in EUR, open: nothing of the poison applied, not even in part", fmt.Sprintf("%+v", st))
	c.Equal(13, len(a.consumerDeadLetters(c, "statements")), "dead letters")
	_, err := a.Statements.Statement(c.Ctx(), bobID)
	c.ErrorIs(err, bank.ErrStatementNotFound, "no statement for Bob: none of his openings was one")
	checkUTC(c, a.db, "consumer_dead_letters", "parked_at")
	c.Equal("p1 p2 p3 p4 p5 p6 p7 p8 p9 p10 p11 p12 p13", strings.Join(parkedInLog(a.serverLog.String()), " "),
		"a warning in the server's log for each parked message, and for no other")
	c.Doing("consume a copy of a parked message")
	c.Equal(fmt.Sprint([]string{bank.Duplicate}), fmt.Sprint(a.consume(c, depositMsg("p5", adaID, 5, "JPY"))), "what became of it (its id is recorded: one dead letter is enough)")
	c.Equal(13, len(a.consumerDeadLetters(c, "statements")), "dead letters")
}

// parkedInLog lists the message ids of the server log's "message parked" warnings, in order.
func parkedInLog(log string) []string {
	var ids []string
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, "message parked") {
			continue
		}
		_, id, _ := strings.Cut(line, "message_id=")
		id, _, _ = strings.Cut(id, " ")
		ids = append(ids, id)
	}
	return ids
}

func TestGuard_AMessageHalfAppliedLeavesNothingBehind(t *testing.T) {
	c := spec.Guard(t, stage, "statements.go", "a message half applied leaves nothing behind")
	a := newApp(c, t)
	a.consume(c, openedMsg("m1", adaID, "EUR"))
	execAll(c, a.db.Write, `CREATE TRIGGER no_big_lines BEFORE INSERT ON statement_lines WHEN NEW.amount > 1000 BEGIN SELECT RAISE(ABORT, 'too big for one line'); END`)
	c.Doing("consume a deposit of 5000, whose line is refused after its balance was updated, then a deposit of 7")
	outcomes := a.consume(c, depositMsg("m2", adaID, 5000, "EUR"), depositMsg("m3", adaID, 7, "EUR"))
	c.Equal(fmt.Sprint([]string{bank.Parked, bank.Applied}), fmt.Sprint(outcomes), "what became of each")
	st := a.statement(c, adaID)
	c.That(st.Balance == 7 && st.Deposits == 1 && len(st.Lines) == 1 && st.Lines[0].MessageID == "m3" && st.Lines[0].BalanceAfter == 7,
		"a balance of 7 from one deposit, one line (m3, balance after 7): the parked deposit's balance update was undone with it, back to its savepoint",
		fmt.Sprintf("%+v", st))
	c.Equal(3, count(c, a.db, "processed_messages"), "processed messages (the parked one's id too: it was processed, by parking it)")
}

func TestGuard_TheWebhookTakesEachMessageOnce(t *testing.T) {
	c := spec.Guard(t, stage, "statements.go", "the webhook takes each message once")
	api, db := newAPI(t)
	account := "0190c6a8-0000-7000-8000-00000000beef"
	send := func(m bank.IntegrationMessage) spec.Response {
		r := api.Post("/statements/messages", m)
		c.NoStub(r)
		return r
	}
	c.Doing("POST /statements/messages: an opening, a deposit, the deposit again, a poison message")
	for _, step := range []struct {
		m       bank.IntegrationMessage
		outcome string
	}{
		{openedMsg("w1", account, "EUR"), bank.Applied},
		{depositMsg("w2", account, 900, "EUR"), bank.Applied},
		{depositMsg("w2", account, 900, "EUR"), bank.Duplicate},
		{depositMsg("w3", account, 900, "CHF"), bank.Parked},
	} {
		r := send(step.m)
		c.Status(r, http.StatusOK)
		c.That(r.String("message_id") == step.m.ID && r.String("outcome") == step.outcome, fmt.Sprintf("%s: %s", step.m.ID, step.outcome), r.Describe())
	}
	r := api.Get("/statements/" + account)
	c.Status(r, http.StatusOK)
	c.That(r.Int("balance") == 900 && r.Int("deposits") == 1, "GET /statements: 900 from one deposit", r.Describe())
	r = api.Get("/dead-letters")
	c.Status(r, http.StatusOK)
	c.That(strings.Contains(string(r.Body), `"consumer_dead_letters":[{`) && strings.Contains(string(r.Body), `"w3"`) && strings.Contains(string(r.Body), "CHF"),
		"GET /dead-letters listing w3 under consumer_dead_letters, with its reason", r.Describe())
	c.Doing("GET /statements of an account the service was never told of")
	c.Status(api.Get("/statements/0190c6a8-0000-7000-8000-000000000404"), http.StatusNotFound)
	c.Doing("POST /statements/messages a deposit when processed_messages refuses every row: nothing can be stored")
	execAll(c, db.Write, `CREATE TRIGGER refused BEFORE INSERT ON processed_messages BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`)
	r = send(depositMsg("w4", account, 100, "EUR"))
	c.Status(r, http.StatusInternalServerError)
	c.Equal("application/problem+json", r.Header.Get("Content-Type"), "the Content-Type")
	execAll(c, db.Write, `DROP TRIGGER refused`)
	c.That(api.Get("/statements/"+account).Int("balance") == 900, "GET /statements: still 900 (the sender is to send w4 again)", api.Get("/statements/"+account).Describe())
}

func TestGuard_WhatIsNotAMessageIsRefusedAndWritesNothing(t *testing.T) {
	c := spec.Guard(t, stage, "statements.go", "what is not a message is refused and writes nothing")
	api, db := newAPI(t)
	account := "0190c6a8-0000-7000-8000-00000000beef"
	c.Status(api.Post("/statements/messages", openedMsg("w1", account, "EUR")), http.StatusOK)
	long := strings.Repeat("x", 201)
	for _, bad := range []struct{ why, body string }{
		{"not JSON", `five euros`},
		{"a JSON array", `[]`},
		{"no message_id", `{"type":"bank.account.v1.MoneyDeposited","data":{}}`},
		{"no type", `{"message_id":"b1","data":{}}`},
		{"no data", `{"message_id":"b1","type":"bank.account.v1.MoneyDeposited"}`},
		{"data null", `{"message_id":"b1","type":"bank.account.v1.MoneyDeposited","data":null}`},
		{"a message_id of 201 bytes", `{"message_id":"` + long + `","type":"bank.account.v1.MoneyDeposited","data":{}}`},
		{"a type of 201 bytes", `{"message_id":"b1","type":"` + long + `","data":{}}`},
		{"a message_id that is a number", `{"message_id":7,"type":"bank.account.v1.MoneyDeposited","data":{}}`},
		{"a second JSON object after the message", `{"message_id":"b1","type":"bank.account.v1.MoneyDeposited","data":{}} {}`},
	} {
		c.Doing("POST /statements/messages with %s", bad.why)
		r := api.Post("/statements/messages", bad.body)
		c.NoStub(r)
		c.Status(r, http.StatusBadRequest)
		c.Equal("application/problem+json", r.Header.Get("Content-Type"), "the Content-Type")
	}
	c.Equal(1, count(c, db, "processed_messages"), "processed messages (a refusal records nothing)")
	c.Equal(0, count(c, db, "consumer_dead_letters"), "dead letters (what is not a message is not parked either)")
	c.Doing("POST /statements/messages with a message whose id, subject and correlation_id are 200 bytes each, the most allowed")
	m := openedMsg(strings.Repeat("i", 200), "0190c6a8-0000-7000-8000-00000000cafe", "EUR")
	m.Subject, m.CorrelationID = strings.Repeat("s", 200), strings.Repeat("c", 200)
	r := api.Post("/statements/messages", m)
	c.Status(r, http.StatusOK)
	c.Equal(bank.Applied, r.String("outcome"), "what became of it")
}

func TestGuard_TheServiceReadsTheContractTolerantly(t *testing.T) {
	c := spec.Guard(t, stage, "statements.go", "the service reads the contract tolerantly")
	a := newApp(c, t)
	c.Doing("consume messages whose data has fields the service does not know (the bank may add fields to v1)")
	outcomes := a.consume(c,
		msg("m1", bank.AccountOpenedV1Type, adaID, fmt.Sprintf(`{"account_id":%q,"kind":"checking","currency":"EUR","branch":"Leeds"}`, adaID)),
		msg("m2", bank.MoneyDepositedV1Type, adaID, fmt.Sprintf(`{"account_id":%q,"amount":40,"currency":"EUR","channel":"app"}`, adaID)))
	c.Equal(fmt.Sprint([]string{bank.Applied, bank.Applied}), fmt.Sprint(outcomes), "what became of each")
	c.Equal(int64(40), a.statement(c, adaID).Balance, "the balance")
}

// The bank stores every time in UTC: stored times compare as text only in one zone.
func TestGuard_AStatementLineKeepsItsTimeInUTC(t *testing.T) {
	c := spec.Guard(t, stage, "statements_apply.go (addLine)", "a statement line keeps its time in UTC")
	a := newApp(c, t)
	deposit := depositMsg("m2", adaID, 500, "EUR")
	deposit.OccurredAt = time.Date(2024, 5, 1, 12, 0, 0, 0, time.FixedZone("CEST", 2*60*60))
	c.Doing("consume AccountOpened and a deposit that occurred at 12:00 in UTC+2")
	a.consume(c, openedMsg("m1", adaID, "EUR"), deposit)
	var stored string
	c.NoError(a.db.Read.QueryRow(`SELECT occurred_at FROM statement_lines WHERE message_id = 'm2'`).Scan(&stored), "reading statement_lines")
	c.Equal("2024-05-01T10:00:00Z", stored, "the line's stored occurred_at (the same instant, in UTC)")
	st := a.statement(c, adaID)
	c.That(len(st.Lines) == 1 && st.Lines[0].OccurredAt.Equal(deposit.OccurredAt) && st.Lines[0].OccurredAt.Location() == time.UTC,
		"one line, at the deposit's time, in UTC", fmt.Sprintf("%+v", st.Lines))
}
