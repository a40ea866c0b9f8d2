package spec

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-es-workshop/kit/internal/exercise"
)

// outboxRules are the rules of stage 5, kept by every stage after it: what the
// bank stores, it announces (its events and their messages in one transaction),
// what it refuses it does not, and the relay empties the outbox.
func outboxRules() []Rule {
	return []Rule{
		{"a command's events are announced in the outbox, in their own transaction", 5, "outbox", func(c *Check, b *Bank) {
			id := b.Open(c, ada("checking", 1000))
			b.Command(c, 200, "", "/accounts/"+id+"/deposits", money(500))
			b.Command(c, 200, "", "/accounts/"+id+"/withdrawals", money(500))
			b.Command(c, 200, "", "/accounts/"+id+"/close", nil)
			want := []string{"bank.account.v1.AccountOpened", "bank.account.v1.MoneyDeposited", "bank.account.v1.MoneyWithdrawn", "bank.account.v1.AccountClosed"}
			c.Equal(strings.Join(want, ", "), strings.Join(outboxTypes(c, b, id), ", "), "the account's messages in the outbox, in order")
			other := b.Open(c, ada("savings", 0))
			execSetup(c, b.DB, `CREATE TRIGGER outbox_full BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END`)
			c.Doing("deposit 5 while the outbox refuses every insert")
			b.Command(c, 500, "", "/accounts/"+other+"/deposits", money(5))
			execSetup(c, b.DB, `DROP TRIGGER outbox_full`)
			b.Expect(c, other, 0, "open", 1) // no message, no event
		}},
		{"a refused command announces nothing", 5, "outbox", func(c *Check, b *Bank) {
			id := b.Open(c, ada("savings", 0))
			b.Command(c, 422, "insufficient funds", "/accounts/"+id+"/withdrawals", money(1))
			b.Command(c, 400, "amount", "/accounts/"+id+"/deposits", money(-1))
			c.Doing("deposit with a stale If-Match")
			c.Status(b.Post("/accounts/"+id+"/deposits", money(1), "If-Match", `"9"`), http.StatusPreconditionFailed)
			c.Equal("bank.account.v1.AccountOpened", strings.Join(outboxTypes(c, b, id), ", "), "the account's messages in the outbox")
		}},
		{"the relay delivers the outbox, and GET /outbox and GET /dead-letters say what waits", 5, "relay", func(c *Check, b *Bank) {
			id := b.Open(c, ada("savings", 0))
			b.Command(c, 200, "", "/accounts/"+id+"/deposits", money(5))
			c.Doing("wait until GET /outbox has nothing pending (the server's own subscriber acknowledges everything)")
			for deadline := time.Now().Add(CallTimeout); ; time.Sleep(5 * time.Millisecond) { // polling, bounded
				r := b.Get("/outbox")
				c.Status(r, http.StatusOK)
				relay, _ := r.JSON()["relay"].(map[string]any)
				if r.Int("pending") == 0 && relay["status"] == "running" {
					break
				}
				if problem, _ := relay["error"].(string); problem != "" {
					if todo, ok := exercise.ParseTodo(problem); ok {
						c.t.Fatal(c.notDone(todo))
					}
				}
				if time.Now().After(deadline) {
					c.Fail("nothing pending, the relay running", r.Describe())
				}
			}
			var published int
			c.NoError(b.DB.Read.QueryRow(`SELECT COUNT(*) FROM outbox WHERE subject = ? AND status = 'published'`, id).Scan(&published), "counting published messages")
			c.Equal(2, published, "the account's messages marked published")
			r := b.Get("/dead-letters")
			c.Status(r, http.StatusOK)
			c.That(strings.Contains(string(r.Body), `"dead_letters":[]`), "no dead letters", r.Describe())
		}},
	}
}

// outboxTypes lists the types of the outbox's messages about account id, in order.
func outboxTypes(c *Check, b *Bank, id string) []string {
	c.t.Helper()
	rows, err := b.DB.Read.Query(`SELECT type FROM outbox WHERE subject = ? ORDER BY id`, id)
	c.NoError(err, "reading the outbox")
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		c.NoError(rows.Scan(&t), "reading the outbox")
		out = append(out, t)
	}
	c.NoError(rows.Err(), fmt.Sprintf("reading the outbox of %s", id))
	return out
}
