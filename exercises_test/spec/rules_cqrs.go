package spec

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// cqrsRules are the rules of stage 4, kept by every stage after it: commands are
// validated before anything is read, carry their id as the causation of their
// events and happen once per Idempotency-Key; queries on read models wait for
// min_position, or say which read model is behind.
func cqrsRules() []Rule {
	return []Rule{
		{"a malformed command is refused before anything is read", 4, "pipeline", func(c *Check, b *Bank) {
			id := b.Open(c, ada("checking", 0))
			execSetup(c, b.DB, `ALTER TABLE events RENAME TO events_hidden`)
			for _, bad := range []struct {
				name, path string
				body       any
			}{
				{"deposit 0", "/accounts/" + id + "/deposits", money(0)},
				{"withdraw 5 with a reference of 141 characters", "/accounts/" + id + "/withdrawals", map[string]any{"amount": 5, "reference": strings.Repeat("x", 141)}},
				{"withdraw more than the bank's largest amount", "/accounts/" + id + "/withdrawals", money(100_000_000_01)},
				{"close the account with the nil UUID", "/accounts/00000000-0000-0000-0000-000000000000/close", nil},
				{"deposit into the account with the nil UUID", "/accounts/00000000-0000-0000-0000-000000000000/deposits", money(5)},
			} {
				c.Doing("%s while the events table cannot be read (a command that reads it gets a 500)", bad.name)
				r := b.Post(bad.path, bad.body)
				c.That(r.Status == http.StatusBadRequest, "400: the command is refused before its account is loaded", r.Describe())
			}
			c.Doing("deposit 5 while the events table cannot be read: a well-formed command loads the account")
			c.Status(b.Post("/accounts/"+id+"/deposits", money(5)), http.StatusInternalServerError)
			execSetup(c, b.DB, `ALTER TABLE events_hidden RENAME TO events`)
			b.Expect(c, id, 0, "open", 1)
		}},
		{"a command's events carry the command's id as their causation id", 4, "pipeline", func(c *Check, b *Bank) {
			id := b.Open(c, ada("checking", 1000))
			steps := []struct {
				name, key, causation string
			}{
				{"deposit 5 with Idempotency-Key: deposit-1", "deposit-1", "deposit-1"},
				{`deposit 6 with Idempotency-Key: "deposit-2" (the quoted form)`, `"deposit-2"`, "deposit-2"},
				{"withdraw 7 without an Idempotency-Key", "", ""},
			}
			for i, s := range steps {
				c.Doing("%s", s.name)
				var headers []string
				if s.key != "" {
					headers = []string{"Idempotency-Key", s.key}
				}
				r := b.Post("/accounts/"+id+"/"+[]string{"deposits", "deposits", "withdrawals"}[i], money(int64(5+i)), headers...)
				c.Status(r, http.StatusOK)
				want := s.causation
				if want == "" {
					want = r.Header.Get("X-Request-ID")
				}
				events, _ := b.Events(c, "/accounts/"+id+"/events")
				got := events[len(events)-1].Metadata["causation_id"]
				c.That(got == want && want != "", fmt.Sprintf("causation_id %q (the key, or without one the request's X-Request-ID)", want), fmt.Sprintf("%v", got))
			}
		}},
		{"a command sent again with its Idempotency-Key is carried out once", 4, "idempotency", func(c *Check, b *Bank) {
			c.Doing("open an account with Idempotency-Key: open-1, twice")
			first := b.Post("/accounts", ada("savings", 0), "Idempotency-Key", "open-1")
			c.Status(first, http.StatusCreated)
			id := first.String("id")
			again := b.Post("/accounts", ada("savings", 0), "Idempotency-Key", "open-1")
			c.checkReplay(first, again, http.StatusCreated)
			c.Equal("/accounts/"+id, again.Header.Get("Location"), "the Location of the repeat")
			for _, s := range []struct {
				name, path, key string
				body            any
			}{
				{"deposit 500", "/deposits", "deposit-1", money(500)},
				{"withdraw 500 (a second withdrawal would be refused: the balance is 0 after the first)", "/withdrawals", "withdraw-1", money(500)},
				{"close (a second close would be refused: the account is closed after the first)", "/close", "close-1", nil},
			} {
				c.Doing("%s with Idempotency-Key: %s, twice", s.name, s.key)
				first := b.Post("/accounts/"+id+s.path, s.body, "Idempotency-Key", s.key)
				c.Status(first, http.StatusOK)
				before := b.Rows(c)
				c.checkReplay(first, b.Post("/accounts/"+id+s.path, s.body, "Idempotency-Key", s.key), http.StatusOK)
				c.Equal(before, b.Rows(c), "rows in "+b.Table+" after the repeat (a repeat writes nothing)")
			}
			b.Expect(c, id, 0, "closed", 4)
		}},
		{"the same Idempotency-Key with another request is refused and writes nothing", 4, "idempotency", func(c *Check, b *Bank) {
			id := b.Open(c, ada("checking", 1000))
			other := b.Open(c, ada("checking", 1000))
			c.Doing("deposit 500 with Idempotency-Key: pay-1")
			c.Status(b.Post("/accounts/"+id+"/deposits", money(500), "Idempotency-Key", "pay-1"), http.StatusOK)
			for _, s := range []struct {
				name, path string
				body       any
			}{
				{"deposit 501", "/accounts/" + id + "/deposits", money(501)},
				{"deposit 500 with a reference", "/accounts/" + id + "/deposits", map[string]any{"amount": 500, "reference": "rent"}},
				{"withdraw 500", "/accounts/" + id + "/withdrawals", money(500)},
				{"deposit 500 into another account", "/accounts/" + other + "/deposits", money(500)},
				{"open an account", "/accounts", ada("checking", 0)},
			} {
				c.Doing("%s with the same Idempotency-Key: pay-1", s.name)
				before := b.Rows(c)
				r := b.Post(s.path, s.body, "Idempotency-Key", "pay-1")
				c.Status(r, http.StatusUnprocessableEntity)
				c.That(strings.Contains(r.String("detail"), "Idempotency-Key"), "a problem whose detail names the Idempotency-Key", r.Describe())
				c.Equal(before, b.Rows(c), "rows in "+b.Table+" after the refusal")
			}
			b.Expect(c, id, 500, "open", 2)
		}},
		{"copies of a command sent at the same moment with one Idempotency-Key happen once", 4, "idempotency", func(c *Check, b *Bank) {
			before := b.Rows(c)
			c.Doing("8 copies of one open-account command with Idempotency-Key: open-once, all waiting for the database at once")
			answers := b.CollideAll(c.t, b.DB, Copies(8, Post{Path: "/accounts", Body: ada("checking", 0), Headers: []string{"Idempotency-Key", "open-once"}}))
			c.checkOneAnswer(answers, http.StatusCreated)
			c.Equal(before+1, b.Rows(c), "rows in "+b.Table+" (one AccountOpened)")
			id := answers[0].String("id")
			c.Doing("8 copies of one deposit with Idempotency-Key: deposit-once, all waiting for the database at once")
			answers = b.CollideAll(c.t, b.DB, Copies(8, Post{Path: "/accounts/" + id + "/deposits", Body: money(300), Headers: []string{"Idempotency-Key", "deposit-once"}}))
			c.checkOneAnswer(answers, http.StatusOK)
			b.Expect(c, id, 300, "open", 2)
		}},
		{"a query with min_position reflects the command at that position", 4, "read models", func(c *Check, b *Bank) {
			id := b.Open(c, ada("checking", 1000))
			c.Doing("deposit 700 for \"salary\"")
			pos := b.Command(c, http.StatusOK, "", "/accounts/"+id+"/deposits", map[string]any{"amount": 700, "reference": "salary"}).Int("position")
			c.Doing("GET /accounts/{id}/transactions?min_position=%d", pos)
			r := b.Get(fmt.Sprintf("/accounts/%s/transactions?min_position=%d", id, pos))
			c.Status(r, http.StatusOK)
			var history struct {
				Transactions []struct {
					Position     int64  `json:"position"`
					Amount       int64  `json:"amount"`
					Reference    string `json:"reference"`
					BalanceAfter int64  `json:"balance_after"`
				} `json:"transactions"`
			}
			c.NoError(r.Decode(&history), "decoding the transactions")
			n := len(history.Transactions)
			c.That(n > 0 && history.Transactions[n-1].Position == pos && history.Transactions[n-1].Amount == 700 &&
				history.Transactions[n-1].Reference == "salary" && history.Transactions[n-1].BalanceAfter == 700,
				fmt.Sprintf("a last line at position %d: 700, \"salary\", balance after 700", pos), r.Describe())
			c.Doing("GET /accounts?owner=Ada Lovelace&min_position=%d", pos)
			r = b.Get(fmt.Sprintf("/accounts?owner=%s&min_position=%d", url.QueryEscape("Ada Lovelace"), pos))
			c.Status(r, http.StatusOK)
			c.That(strings.Contains(string(r.Body), `"id":"`+id+`"`) && strings.Contains(string(r.Body), `"balance":700`),
				"Ada's account with its balance of 700", r.Describe())
		}},
		{"a read model that cannot reach min_position in time is a 503 that says which and by how much", 4, "read models", func(c *Check, b *Bank) {
			id := b.Open(c, ada("checking", 0))
			pos := b.Command(c, http.StatusOK, "", "/accounts/"+id+"/deposits", money(5)).Int("position")
			c.Doing("GET /accounts/{id}/transactions?min_position=%d, beyond the end of the log", pos+1000)
			started := time.Now()
			r := b.Get(fmt.Sprintf("/accounts/%s/transactions?min_position=%d", id, pos+1000))
			waited := time.Since(started)
			c.Status(r, http.StatusServiceUnavailable)
			seconds, err := strconv.Atoi(r.Header.Get("Retry-After"))
			c.That(strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") && err == nil && seconds >= 0,
				"a problem+json with Retry-After in seconds (RFC 9110: a whole number, such as 2)", r.Describe())
			c.That(r.String("projection") != "" && r.Int("min_position") == pos+1000 && r.Int("checkpoint") >= 0 && r.Int("head") >= pos && r.Int("lag") >= 0,
				"a problem naming the projection, min_position, its checkpoint, the head of the log and the lag", r.Describe())
			c.That(waited >= time.Second && waited < 10*time.Second, "a bounded wait of a second or more first (the read model might still catch up)", waited.String())
		}},
		{"GET /projections names each projection with its checkpoint, the head of the log and its lag", 4, "projector", func(c *Check, b *Bank) {
			id := b.Open(c, ada("checking", 0))
			pos := b.Command(c, http.StatusOK, "", "/accounts/"+id+"/deposits", money(5)).Int("position")
			c.Doing("wait for the read models (GET /accounts?owner=...&min_position=%d and /accounts/{id}/transactions), then GET /projections", pos)
			c.Status(b.Get(fmt.Sprintf("/accounts?owner=Ada%%20Lovelace&min_position=%d", pos)), http.StatusOK)
			c.Status(b.Get(fmt.Sprintf("/accounts/%s/transactions?min_position=%d", id, pos)), http.StatusOK)
			r := b.Get("/projections")
			c.Status(r, http.StatusOK)
			var body struct {
				Projections []struct {
					Name                  string
					Version               int
					Checkpoint, Head, Lag int64
					Status                string
				}
			}
			c.NoError(r.Decode(&body), "decoding GET /projections")
			c.That(len(body.Projections) >= 2, "at least the projections of the two read models", r.Describe())
			for _, p := range body.Projections {
				c.That(p.Name != "" && p.Version >= 1 && p.Head == pos && p.Lag == p.Head-p.Checkpoint && p.Status == "running",
					fmt.Sprintf("a name, a version, head %d, lag = head - checkpoint, status running", pos), r.Describe())
			}
		}},
	}
}

// checkReplay requires again to be the first answer over again, marked as a replay.
func (c *Check) checkReplay(first, again Response, status int) {
	c.t.Helper()
	c.Status(again, status)
	c.That(again.String("id") == first.String("id") && again.Int("version") == first.Int("version") && again.Int("position") == first.Int("position"),
		"the first answer again: "+string(first.Body), string(again.Body))
	c.That(again.Header.Get("Idempotent-Replayed") == "true" && first.Header.Get("Idempotent-Replayed") == "",
		"Idempotent-Replayed: true on the repeat only", fmt.Sprintf("first %q, repeat %q", first.Header.Get("Idempotent-Replayed"), again.Header.Get("Idempotent-Replayed")))
}

// checkOneAnswer requires every answer to be the same, with the wanted status.
func (c *Check) checkOneAnswer(answers []Response, status int) {
	c.t.Helper()
	var got []string
	same := len(answers) > 0
	for _, r := range answers {
		got = append(got, fmt.Sprintf("%d %s", r.Status, strings.TrimSpace(string(r.Body))))
		same = same && r.Status == status && string(r.Body) == string(answers[0].Body)
	}
	c.That(same, fmt.Sprintf("%d × the same answer, %d", len(answers), status), strings.Join(got, "\n"))
}
