package production_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// ghostLease gives the outbox's lease to a relay that is not there, for an hour:
// this server's relay stays on standby, and the test sets the outbox up by hand.
func ghostLease(c *spec.Check, db *sqlitedb.DB) {
	_, err := bank.NewEventStore(c.Ctx(), db, bank.NewRegistry())
	c.NoError(err, "NewEventStore (test setup)")
	execAll(c, db.Write, fmt.Sprintf(`INSERT INTO relay_lease (name, holder, expires_at) VALUES ('outbox', 'ghost', %d)`,
		time.Now().Add(time.Hour).UnixMilli()))
}

// parkedRow adds an outbox row (parked, with its dead letter) by hand and returns the dead letter's id.
func parkedRow(c *spec.Check, db *sqlitedb.DB, n int, subject string) int64 {
	payload := fmt.Sprintf(`{"message_id":"m-%d","type":"bank.account.v1.MoneyDeposited","subject":%q,"occurred_at":"2024-05-01T10:00:00Z","correlation_id":"c","data":{"amount":%d}}`, n, subject, n)
	res, err := db.Write.Exec(`INSERT INTO outbox (message_id, subject, type, payload, recorded_at, next_attempt_at, status, attempts, last_error)
		VALUES (?, ?, 'bank.account.v1.MoneyDeposited', ?, '2024-05-01T10:00:00Z', '2024-05-01T10:00:00Z', 'parked', 3, 'refused')`, fmt.Sprintf("m-%d", n), subject, payload)
	c.NoError(err, "adding a parked message (test setup)")
	outboxID, _ := res.LastInsertId()
	res, err = db.Write.Exec(`INSERT INTO dead_letters (outbox_id, message_id, type, subject, attempts, reason, parked_at)
		VALUES (?, ?, 'bank.account.v1.MoneyDeposited', ?, 3, 'refused', '2024-05-01T10:00:00Z')`, outboxID, fmt.Sprintf("m-%d", n), subject)
	c.NoError(err, "adding a dead letter (test setup)")
	id, _ := res.LastInsertId()
	return id
}

func TestGuard_GetOutboxAndDeadLettersShowWhatIsThereAndFailLoudly(t *testing.T) {
	c := spec.Guard(t, stage, "outbox_status.go, dead_letters.go (DeadLetters), consumer_dead_letters.go (ConsumerDeadLetters), relay_lease.go (readLease) and http_outbox.go",
		"GET /outbox and GET /dead-letters show what the tables hold, and a table that cannot be read is a 500, never an empty answer")
	db := spec.OpenDB(t)
	ghostLease(c, db)
	s := startServer(t, db, newRecorder(), fastRelay())
	waitUntil(c, "the relay on standby", func() bool { return relayStatus(s) == "standby" })
	first, second := parkedRow(c, db, 1, adaID), parkedRow(c, db, 2, adaID)
	execAll(c, db.Write, `INSERT INTO outbox (message_id, subject, type, payload, recorded_at, next_attempt_at, attempts, last_error)
		VALUES ('m-3', 'bob', 't', '{"message_id":"m-3","type":"t","subject":"bob","data":{}}', '2024-05-01T10:00:00Z', '2024-05-01T11:30:00+01:00', 1, '503')`)
	execAll(c, db.Write, `INSERT INTO consumer_dead_letters (consumer, build, message_id, type, subject, data, reason, parked_at)
		VALUES ('statements', '', 'w9', 'bank.account.v1.MoneyDeposited', 'ada', '{}', 'cannot apply', '2024-05-01T09:00:00Z')`)
	c.Doing("GET /dead-letters with two dead letters and a message the statement service parked")
	r := s.Get("/dead-letters")
	c.Status(r, http.StatusOK)
	var parked struct {
		Outbox   []bank.DeadLetter         `json:"dead_letters"`
		Consumer []bank.ConsumerDeadLetter `json:"consumer_dead_letters"`
	}
	c.NoError(r.Decode(&parked), "decoding GET /dead-letters")
	c.That(len(parked.Outbox) == 2 && parked.Outbox[0].ID == first && parked.Outbox[1].ID == second &&
		parked.Outbox[0].Reason == "refused" && parked.Outbox[0].ParkedAt.Equal(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)),
		"under dead_letters, both, oldest first, with their reason and time", r.Describe())
	c.That(len(parked.Consumer) == 1 && parked.Consumer[0].MessageID == "w9" && parked.Consumer[0].Reason == "cannot apply" &&
		parked.Consumer[0].ParkedAt.Equal(time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)),
		"under consumer_dead_letters, w9 with its reason and time", r.Describe())
	c.Doing("GET /outbox with two parked messages and one pending, while another relay holds the lease")
	r = s.Get("/outbox")
	c.Status(r, http.StatusOK)
	var body struct {
		Relay struct {
			Status string
			Lease  struct {
				Holder    string
				ExpiresAt string `json:"expires_at"`
			}
		}
		Pending, Parked int
		Messages        []struct {
			Status        string
			NextAttemptAt string `json:"next_attempt_at"`
			Attempts      int
		}
	}
	c.NoError(r.Decode(&body), "decoding GET /outbox")
	c.That(body.Relay.Status == "standby" && body.Relay.Lease.Holder == "ghost" && strings.HasSuffix(body.Relay.Lease.ExpiresAt, "Z") &&
		body.Pending == 1 && body.Parked == 2 && len(body.Messages) == 3 && body.Messages[2].NextAttemptAt == "2024-05-01T10:30:00Z" &&
		body.Messages[0].Status == "parked" && body.Messages[2].Attempts == 1,
		"standby, the ghost's lease (in UTC), 1 pending and 2 parked, in order, the next try in UTC", r.Describe())
	var expires int64
	c.NoError(db.Read.QueryRow(`SELECT expires_at FROM relay_lease`).Scan(&expires), "reading the lease")
	c.Equal(time.UnixMilli(expires).UTC().Format(time.RFC3339Nano), body.Relay.Lease.ExpiresAt, "the lease's expiry on GET /outbox")
	for _, broken := range []struct{ name, setup, undo, path string }{
		{"dead_letters gone", `ALTER TABLE dead_letters RENAME TO gone`, `ALTER TABLE gone RENAME TO dead_letters`, "/dead-letters"},
		{"a dead letter's parked_at not a time", `UPDATE dead_letters SET parked_at = 'soon'`, `UPDATE dead_letters SET parked_at = '2024-05-01T10:00:00Z'`, "/dead-letters"},
		{"a dead letter's attempts not a number", `UPDATE dead_letters SET attempts = 'lots'`, `UPDATE dead_letters SET attempts = 3`, "/dead-letters"},
		{"consumer_dead_letters gone", `ALTER TABLE consumer_dead_letters RENAME TO gone`, `ALTER TABLE gone RENAME TO consumer_dead_letters`, "/dead-letters"},
		{"a consumer dead letter's parked_at not a time", `UPDATE consumer_dead_letters SET parked_at = 'soon'`,
			`UPDATE consumer_dead_letters SET parked_at = '2024-05-01T09:00:00Z'`, "/dead-letters"},
		{"relay_lease gone", `ALTER TABLE relay_lease RENAME TO gone`, `ALTER TABLE gone RENAME TO relay_lease`, "/outbox"},
		{"outbox gone", `ALTER TABLE outbox RENAME TO gone`, `ALTER TABLE gone RENAME TO outbox`, "/outbox"},
		{"a message's payload not JSON", `UPDATE outbox SET payload = '{' WHERE message_id = 'm-3'`, `UPDATE outbox SET payload = '{}' WHERE message_id = 'm-3'`, "/outbox"},
		{"a message's next try not a time", `UPDATE outbox SET next_attempt_at = 'later' WHERE message_id = 'm-3'`, `UPDATE outbox SET next_attempt_at = '2024-05-01T10:00:00Z'`, "/outbox"},
	} {
		execAll(c, db.Write, broken.setup)
		c.Doing("GET %s with %s", broken.path, broken.name)
		c.Status(s.Get(broken.path), http.StatusInternalServerError)
		execAll(c, db.Write, broken.undo)
	}
	c.Doing("GET /outbox once the lease is gone")
	execAll(c, db.Write, `DELETE FROM relay_lease`)
	s.stop()
	s.srv.Wait()
	r = s.Get("/outbox")
	c.That(strings.Contains(string(r.Body), `"lease":{"holder":"","expires_at":"0001-01-01T00:00:00Z"}`), "no holder, no expiry", r.Describe())
}

// storedTimes reads a time column of a table: every value must be in UTC.
func checkUTC(c *spec.Check, db *sqlitedb.DB, table, column string) {
	rows, err := db.Read.Query(`SELECT ` + column + ` FROM ` + table + ` WHERE ` + column + ` IS NOT NULL`)
	c.NoError(err, "reading "+table+"."+column)
	defer rows.Close()
	n := 0
	for rows.Next() {
		var at string
		c.NoError(rows.Scan(&at), "reading "+table+"."+column)
		c.That(strings.HasSuffix(at, "Z"), table+"."+column+" in UTC, ending in Z (the tests run at UTC+1 to show it)", at)
		n++
	}
	c.That(n > 0, "a value in "+table+"."+column, "none")
}

func TestGuard_TheOutboxStoresItsTimesInUTC(t *testing.T) {
	c := spec.Guard(t, stage, "relay.go", "the outbox stores its times in UTC")
	cfg := fastRelay()
	cfg.MaxAttempts = 2
	pub := newRecorder()
	pub.setRefuse(refuseType(bank.MoneyDepositedV1Type))
	s := startServer(t, spec.OpenDB(t), pub, cfg)
	id := c.OpenAccount(s.API, "savings", 0)
	c.Doing("deposit 5 (refused twice: parked), then open another account (delivered)")
	c.Status(s.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 5}), http.StatusOK)
	c.OpenAccount(s.API, "savings", 0)
	waitRows(c, s, "the deposit parked and the rest published", func(rows []row) bool {
		return len(rows) == 3 && rows[1].Status == "parked" && rows[2].Status == "published"
	})
	for _, col := range [][2]string{{"outbox", "recorded_at"}, {"outbox", "next_attempt_at"}, {"outbox", "published_at"}, {"dead_letters", "parked_at"}} {
		checkUTC(c, s.db, col[0], col[1])
	}
}
