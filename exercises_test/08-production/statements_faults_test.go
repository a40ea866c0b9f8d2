package production_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

// The statement service's reads and its answers when its database fails. Its
// rows are written by hand here, so that these guards hold in the starter too.

func TestGuard_AStatementThatCannotBeReadIsA500(t *testing.T) {
	c := spec.Guard(t, stage, "statements_read.go and http_statements.go (statement)",
		"GET /statements/{id} shows what the statement service's tables hold; an id that is no UUID is a 400, and a table that cannot be read is a 500, never an empty or partial statement")
	api, db := newAPI(t)
	execAll(c, db.Write, fmt.Sprintf(`INSERT INTO statements VALUES (%q, 'EUR', 300, 1, 1, 'open')`, adaID),
		fmt.Sprintf(`INSERT INTO statement_lines VALUES (%q, 'm2', 500, 500, '2024-05-01T10:00:00Z'), (%q, 'm3', -200, 300, '2024-05-01T11:00:00Z')`, adaID, adaID))
	c.Doing("GET /statements/%s, a statement with two lines", adaID)
	var st bank.Statement
	r := api.Get("/statements/" + adaID)
	c.Status(r, http.StatusOK)
	c.NoError(r.Decode(&st), "decoding GET /statements")
	c.That(st.Balance == 300 && st.Currency == "EUR" && st.Deposits == 1 && st.Withdrawals == 1 && st.Status == "open" && len(st.Lines) == 2 &&
		st.Lines[0].MessageID == "m2" && st.Lines[1].MessageID == "m3" && st.Lines[1].Amount == -200 && st.Lines[1].BalanceAfter == 300 &&
		st.Lines[1].OccurredAt.Equal(at(1, 60)),
		"300 in EUR, open, and the lines m2 +500, then m3 -200 (300 after it) at 11:00 UTC", r.Describe())
	c.Doing("GET /statements/not-an-id")
	c.Status(api.Get("/statements/not-an-id"), http.StatusBadRequest)
	for _, broken := range []struct{ name, setup, undo string }{
		{"the statements table gone", `ALTER TABLE statements RENAME TO gone`, `ALTER TABLE gone RENAME TO statements`},
		{"the statement_lines table gone", `ALTER TABLE statement_lines RENAME TO gone`, `ALTER TABLE gone RENAME TO statement_lines`},
		{"a line's occurred_at not a time", `UPDATE statement_lines SET occurred_at = 'soon' WHERE message_id = 'm3'`,
			`UPDATE statement_lines SET occurred_at = '2024-05-01T11:00:00Z' WHERE message_id = 'm3'`},
	} {
		execAll(c, db.Write, broken.setup)
		c.Doing("GET /statements/%s with %s", adaID, broken.name)
		c.Status(api.Get("/statements/"+adaID), http.StatusInternalServerError)
		execAll(c, db.Write, broken.undo)
	}
}

func TestGuard_ProcessedCountsTheMessagesOfTheStatementService(t *testing.T) {
	c := spec.Guard(t, stage, "statements_read.go (Processed)",
		"Processed counts the messages the statement service has processed, and a table that cannot be read is an error, never 0")
	a := newApp(c, t)
	execAll(c, a.db.Write, `INSERT INTO processed_messages VALUES ('statements', 'm1', '2024-05-01T10:00:00Z'),
		('statements', 'm2', '2024-05-01T10:00:00Z'), ('another consumer', 'm1', '2024-05-01T10:00:00Z')`)
	c.Doing("Processed, with two messages of the statement service and one of another consumer")
	n, err := a.Statements.Processed(c.Ctx())
	c.NoError(err, "Processed")
	c.Equal(int64(2), n, "Processed()")
	c.Doing("Processed, with processed_messages gone")
	execAll(c, a.db.Write, `ALTER TABLE processed_messages RENAME TO gone`)
	n, err = a.Statements.Processed(c.Ctx())
	c.That(err != nil, "an error", fmt.Sprintf("no error, and %d", n))
}

func TestGuard_ABusyStatementServiceAnswers503(t *testing.T) {
	c := spec.Guard(t, stage, "http_statements.go (receiveMessage, redriveMessage)",
		"a message or a redrive that finds the database busy (another process writing) is a 503, to be sent again later, never a 500")
	path := filepath.Join(t.TempDir(), "bank.db")
	db, err := sqlitedb.Open(path)
	c.NoError(err, "opening the database (test setup)")
	t.Cleanup(func() { _ = db.Close() })
	api, _ := spec.StartAPIOn(t, db, bank.NewServer)
	// The server gives up on a lock at once instead of after 5 s: its write pool is one connection.
	execAll(c, db.Write, `PRAGMA busy_timeout = 0`)
	other, err := sqlitedb.Open(path)
	c.NoError(err, "opening the database a second time, as another process would (test setup)")
	t.Cleanup(func() { _ = other.Close() })
	held := spec.HoldWriter(t, other)
	for _, post := range []struct {
		path string
		body any
	}{
		{"/statements/messages", openedMsg("w1", adaID, "EUR")},
		{"/consumer-dead-letters/1/redrive", nil},
	} {
		c.Doing("POST %s while another process holds the database's write lock", post.path)
		r := api.Post(post.path, post.body)
		c.Status(r, http.StatusServiceUnavailable)
		c.Equal("application/problem+json", r.Header.Get("Content-Type"), "the Content-Type")
	}
	c.NoError(held.Rollback(), "letting go of the write lock (test setup)")
	c.Equal(0, count(c, db, "processed_messages"), "processed messages (nothing was stored)")
}
