package spec

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

// A Rule is one rule of the bank, checked over the HTTP API. A rule, once a
// stage has it, holds in every later stage: each stage's tests run every rule
// of its stage and the stages before (RulesUpTo), so a later refactoring that
// breaks an old rule is caught where it happens.
type Rule struct {
	Name  string // what holds, in plain words
	Since int    // the stage that brings it
	Where string // which parts of a stage keep it: keys of the stage's Keepers, comma-separated
	Check func(c *Check, b *Bank)
}

// Keepers says, for one stage, which file keeps each part of the bank:
// "withdraw" -> "account_aggregate.go (Account.Withdraw)". A failing rule names it.
type Keepers map[string]string

// Bank is what a rule works on: a fresh server, and a way behind its back.
type Bank struct {
	*API
	DB    *sqlitedb.DB
	Stage int
	// Table holds the bank's writes: "accounts" in stage 1, "events" after.
	Table string
	// NewServer is the stage's bank.NewServer, for rules about starting up.
	NewServer NewServerFunc
	// Migrate runs the stage's legacy migration (from stage 2 on).
	Migrate MigrateFunc
}

// RulesUpTo lists the rules of stage 1 up to stage n.
func RulesUpTo(n int) []Rule {
	var out []Rule
	for _, r := range allRules() {
		if r.Since <= n {
			out = append(out, r)
		}
	}
	return out
}

func allRules() []Rule {
	return slices.Concat(moneyRules(), eventRules(), migrationRules(), conflictRules(), aggregateRules(), cqrsRules(), outboxRules(), projectionRules(), faultRules())
}

// CheckRules runs each rule as a subtest of t, on a fresh server started by start.
func CheckRules(t *testing.T, stageSlug string, start func(*testing.T) *Bank, keepers Keepers, rules []Rule) {
	t.Helper()
	for i, r := range rules {
		passed := t.Run(r.Name, func(t *testing.T) {
			c := For(t, stageSlug)
			c.rule = r.Name
			var files []string
			for _, part := range strings.Split(r.Where, ",") {
				if keepers[part] == "" {
					t.Fatalf("rule %q: the stage's Keepers have no file for %q (a bug in the test)", r.Name, part)
				}
				files = append(files, keepers[part])
			}
			c.keeper = strings.Join(files, "; ")
			r.Check(c, start(t))
		})
		if !passed && i+1 < len(rules) {
			// One failure at a time: the rules after it mostly fail for the same reason.
			t.Logf("\n%d more rules of the bank are checked once this one holds.", len(rules)-i-1)
			return
		}
	}
}

// Rows counts the rows of the bank's table: how many writes it kept.
func (b *Bank) Rows(c *Check) int {
	c.t.Helper()
	var n int
	c.NoError(b.DB.Read.QueryRow(`SELECT COUNT(*) FROM `+b.Table).Scan(&n), "counting the rows of "+b.Table)
	return n
}

// Account reads an account and requires a 200.
func (b *Bank) Account(c *Check, id string) Response {
	c.t.Helper()
	r := b.Get("/accounts/" + id)
	c.Status(r, http.StatusOK)
	return r
}

// Open opens an account with the given fields and requires a 201.
func (b *Bank) Open(c *Check, fields map[string]any) string {
	c.t.Helper()
	c.Doing("open an account %s", jsonText(fields))
	r := b.Post("/accounts", fields)
	c.Status(r, http.StatusCreated)
	id := r.String("id")
	c.That(r.Header.Get("Location") == "/accounts/"+id, "a Location header naming the new account", fmt.Sprintf("id %q, Location %q", id, r.Header.Get("Location")))
	c.That(r.Int("version") == 1, "an answer at version 1 (the version GET shows)", r.Describe())
	c.fresh = false // the next command says what it does
	return id
}

// Command posts a command and requires the wanted status; a refusal must be a
// problem whose detail says why (because, "" for any) and must write nothing.
func (b *Bank) Command(c *Check, want int, because, path string, body any) Response {
	c.t.Helper()
	if !c.fresh {
		c.Doing("POST %s %s", path, jsonText(body))
	}
	c.fresh = false
	before := b.Rows(c)
	r := b.Post(path, body)
	c.Status(r, want)
	if want < 300 {
		c.That(r.Int("version") > 0, "an answer naming the account's new version", r.Describe())
	}
	if want >= 400 {
		detail := strings.ToLower(r.String("detail"))
		c.That(strings.Contains(detail, because), fmt.Sprintf("a problem whose detail says %q", because), r.Describe())
		c.Equal(before, b.Rows(c), "rows in "+b.Table+" after the refused command (a refusal writes nothing)")
	}
	return r
}

// Expect requires the account's balance, status and version.
func (b *Bank) Expect(c *Check, id string, balance int64, status string, version int64) {
	c.t.Helper()
	r := b.Account(c, id)
	c.That(r.Int("balance") == balance && r.String("status") == status && r.Int("version") == version,
		fmt.Sprintf("balance %d, status %s, version %d", balance, status, version), r.Describe())
}

// SetBalance puts an account's balance at balance behind the API's back (test
// setup): an UPDATE in stage 1, an appended MoneyDeposited event after.
func (b *Bank) SetBalance(c *Check, id string, balance int64) {
	c.t.Helper()
	if b.Table == "accounts" {
		_, err := b.DB.Write.Exec(`UPDATE accounts SET balance = ? WHERE id = ?`, balance, id)
		c.NoError(err, "setting the balance (test setup)")
		return
	}
	version := b.Account(c, id).Int("version")
	c.That(b.Account(c, id).Int("balance") == 0, "a balance of 0 before SetBalance (a bug in the test)", "")
	InsertEvent(c, b.DB, "account-"+id, version+1, "MoneyDeposited", fmt.Sprintf(`{"amount":%d}`, balance))
}

func jsonText(v any) string {
	if v == nil {
		return "(no body)"
	}
	data, _ := json.Marshal(v)
	return string(data)
}

func ada(kind string, overdraft int64) map[string]any {
	return map[string]any{"owner": "Ada Lovelace", "kind": kind, "currency": "EUR", "overdraft_limit": overdraft}
}

func money(amount int64) map[string]any { return map[string]any{"amount": amount} }

// moneyRules are the rules of stage 1, kept by every stage after it.
func moneyRules() []Rule {
	return []Rule{
		{"an account is opened as asked", 1, "open", func(c *Check, b *Bank) {
			id := b.Open(c, map[string]any{"owner": "Ada Lovelace", "kind": "checking", "currency": "EUR", "overdraft_limit": 2500})
			r := b.Account(c, id)
			c.That(r.String("id") == id && r.String("owner") == "Ada Lovelace" && r.String("kind") == "checking" &&
				r.String("currency") == "EUR" && r.Int("overdraft_limit") == 2500 && r.Int("balance") == 0 &&
				r.String("status") == "open" && r.Int("version") == 1,
				"the account as opened: its id, owner, kind checking, currency EUR, overdraft 2500, balance 0, open, version 1", r.Describe())
			long := strings.Repeat("é", 100)
			id = b.Open(c, map[string]any{"owner": long, "kind": "savings", "currency": "GBP"})
			r = b.Account(c, id)
			c.That(r.String("owner") == long && r.String("kind") == "savings" && r.String("currency") == "GBP",
				"a savings account in GBP for an owner of exactly 100 characters", r.Describe())
		}},
		{"the times the bank stores are in UTC", 1, "times", func(c *Check, b *Bank) {
			id := b.Open(c, ada("checking", 0))
			b.Command(c, 200, "", "/accounts/"+id+"/deposits", money(5))
			column, where := "recorded_at", "stream_id = 'account-"+id+"'"
			if b.Table == "accounts" {
				column, where = "updated_at", "id = '"+id+"'"
			}
			rows, err := b.DB.Read.Query(`SELECT ` + column + ` FROM ` + b.Table + ` WHERE ` + where)
			c.NoError(err, "reading the stored times")
			defer rows.Close()
			for rows.Next() {
				var at string
				c.NoError(rows.Scan(&at), "reading a stored time")
				c.That(strings.HasSuffix(at, "Z"), "a "+column+" in UTC, ending in Z (the tests run at UTC+1 to show it)", at)
			}
		}},
		{"a checking account's overdraft is capped, a savings account has none", 1, "open", func(c *Check, b *Bank) {
			c.Doing("open a checking account with the largest overdraft (500000)")
			b.Open(c, ada("checking", 500000))
			for _, refused := range []map[string]any{ada("checking", 500001), ada("savings", 1)} {
				c.Doing("open %v", refused)
				before := b.Rows(c)
				r := b.Post("/accounts", refused)
				c.That(r.Status == 400 || r.Status == 422, "a refusal (400 or 422)", r.Describe())
				c.Equal(before, b.Rows(c), "rows in "+b.Table+" after the refusal")
			}
		}},
		{"deposits add up, to the largest amount", 1, "deposit", func(c *Check, b *Bank) {
			id := b.Open(c, ada("savings", 0))
			c.Doing("deposit 2500, then 1000, then the largest amount (10000000000)")
			b.Command(c, 200, "", "/accounts/"+id+"/deposits", money(2500))
			b.Command(c, 200, "", "/accounts/"+id+"/deposits", money(1000))
			b.Expect(c, id, 3500, "open", 3)
			b.Command(c, 200, "", "/accounts/"+id+"/deposits", money(100_000_000_00))
			b.Expect(c, id, 100_000_035_00, "open", 4)
		}},
		{"no balance goes past the bank's limit", 1, "deposit", func(c *Check, b *Bank) {
			id := b.Open(c, ada("savings", 0))
			b.SetBalance(c, id, 1_000_000_000_000_00-100)
			version := b.Account(c, id).Int("version")
			c.Doing("deposit 101 into an account 100 below the balance limit")
			b.Command(c, 422, "over the bank's limit", "/accounts/"+id+"/deposits", money(101))
			c.Doing("deposit exactly 100")
			b.Command(c, 200, "", "/accounts/"+id+"/deposits", money(100))
			b.Expect(c, id, 1_000_000_000_000_00, "open", version+1)
		}},
		{"a withdrawal may reach the overdraft limit, never pass it", 1, "withdraw", func(c *Check, b *Bank) {
			id := b.Open(c, ada("checking", 10000))
			b.Command(c, 200, "", "/accounts/"+id+"/deposits", money(500))
			c.Doing("withdraw 10500 from a checking account holding 500 with an overdraft of 10000: exactly to the limit")
			b.Command(c, 200, "", "/accounts/"+id+"/withdrawals", money(10500))
			b.Expect(c, id, -10000, "open", 3)
			c.Doing("withdraw 1 more")
			b.Command(c, 422, "insufficient funds", "/accounts/"+id+"/withdrawals", money(1))
			savings := b.Open(c, ada("savings", 0))
			b.Command(c, 200, "", "/accounts/"+savings+"/deposits", money(100))
			c.Doing("withdraw 101 from savings holding 100")
			b.Command(c, 422, "insufficient funds", "/accounts/"+savings+"/withdrawals", money(101))
			c.Doing("withdraw 100 from savings holding 100")
			b.Command(c, 200, "", "/accounts/"+savings+"/withdrawals", money(100))
			b.Expect(c, savings, 0, "open", 3)
		}},
		{"a closed account takes no deposit, withdrawal or second close", 1, "close,deposit,withdraw", func(c *Check, b *Bank) {
			id := b.Open(c, ada("checking", 10000))
			c.Doing("close an account with a zero balance and an overdraft of 10000")
			b.Command(c, 200, "", "/accounts/"+id+"/close", nil)
			b.Expect(c, id, 0, "closed", 2)
			c.Doing("deposit 1 into the closed account")
			b.Command(c, 422, "closed", "/accounts/"+id+"/deposits", money(1))
			c.Doing("withdraw 1 from the closed account (its overdraft would allow it)")
			b.Command(c, 422, "closed", "/accounts/"+id+"/withdrawals", money(1))
			c.Doing("close it again")
			b.Command(c, 422, "closed", "/accounts/"+id+"/close", nil)
			b.Expect(c, id, 0, "closed", 2)
		}},
		{"a close racing a withdrawal never leaves a closed account with a balance", 1, "close,withdraw", func(c *Check, b *Bank) {
			for round := range 10 {
				id := b.Open(c, ada("checking", 10000))
				c.Doing("round %d of 10: a close and a withdrawal of 100 that both read before either writes", round+1)
				answers := b.CollideAll(c.t, b.DB, []Post{{Path: "/accounts/" + id + "/close"}, {Path: "/accounts/" + id + "/withdrawals", Body: money(100)}})
				acc := b.Account(c, id)
				c.That(acc.String("status") != "closed" || acc.Int("balance") == 0, "a closed account with a zero balance",
					fmt.Sprintf("close: %d, withdrawal: %d, account %s", answers[0].Status, answers[1].Status, acc.Body))
			}
		}},
		{"only an account with a zero balance closes", 1, "close", func(c *Check, b *Bank) {
			id := b.Open(c, ada("checking", 10000))
			b.Command(c, 200, "", "/accounts/"+id+"/deposits", money(1))
			c.Doing("close an account holding 1")
			b.Command(c, 422, "zero balance", "/accounts/"+id+"/close", nil)
			b.Command(c, 200, "", "/accounts/"+id+"/withdrawals", money(2))
			c.Doing("close an account at -1")
			b.Command(c, 422, "zero balance", "/accounts/"+id+"/close", nil)
			b.Command(c, 200, "", "/accounts/"+id+"/deposits", money(1))
			c.Doing("close it at 0")
			b.Command(c, 200, "", "/accounts/"+id+"/close", nil)
			b.Expect(c, id, 0, "closed", 5)
		}},
		{"an unknown account is a 404 for every command", 1, "get", func(c *Check, b *Bank) {
			b.Open(c, ada("checking", 0)) // one account exists, just not this one
			unknown := "/accounts/0190c6a8-0000-7000-8000-000000000404"
			for _, cmd := range []struct {
				path string
				body any
			}{{"/deposits", money(1)}, {"/withdrawals", money(1)}, {"/close", nil}} {
				c.Doing("POST %s%s", unknown, cmd.path)
				b.Command(c, 404, "not found", unknown+cmd.path, cmd.body)
			}
			c.Doing("GET %s", unknown)
			c.Status(b.Get(unknown), 404)
		}},
	}
}

// aggregateRules are the rules of stage 3, kept by every stage after it.
func aggregateRules() []Rule {
	return []Rule{
		{"an account's version is its strong ETag", 3, "get", func(c *Check, b *Bank) {
			id := b.Open(c, ada("checking", 0))
			b.Command(c, 200, "", "/accounts/"+id+"/deposits", money(5))
			r := b.Account(c, id)
			c.Equal(`"2"`, r.Header.Get("ETag"), "the ETag of GET /accounts/{id} at version 2")
		}},
		{"commands answer with the account's version, the event's position and the ETag", 3, "conflict", func(c *Check, b *Bank) {
			id := b.Open(c, ada("savings", 0))
			c.Doing("deposit 700, withdraw 700, close")
			for i, step := range []struct {
				path string
				body any
			}{{"/deposits", money(700)}, {"/withdrawals", money(700)}, {"/close", nil}} {
				r := b.Post("/accounts/"+id+step.path, step.body)
				c.Status(r, http.StatusOK)
				v := int64(i + 2)
				c.That(r.Int("version") == v && r.Int("position") > 0 && r.Header.Get("ETag") == fmt.Sprintf(`"%d"`, v),
					fmt.Sprintf(`version %d, a position, ETag "%d"`, v, v), r.Describe())
			}
		}},
		{"of concurrent withdrawals, exactly the affordable ones are accepted", 3, "conflict", func(c *Check, b *Bank) {
			id := b.Open(c, ada("checking", 1000))
			c.Doing("40 withdrawals of 100, all decided at version 1 before any is saved; the overdraft limit of 1000 affords 10")
			statuses := b.Collide(c.t, b.DB, 40, "/accounts/"+id+"/withdrawals", money(100))
			c.That(statuses.N(200) == 10 && statuses.N(422) == 30, "10 × 200 and 30 × 422: conflicts retried with a fresh decision, none lost, none wrongly refused", statuses.String())
			b.Expect(c, id, -1000, "open", 11)
		}},
		{"a stale If-Match is a 412 and writes nothing", 3, "conflict", func(c *Check, b *Bank) {
			id := b.Open(c, ada("checking", 1000))
			c.Doing(`deposit with If-Match: "1" (the current version)`)
			c.Status(b.Post("/accounts/"+id+"/deposits", money(100), "If-Match", `"1"`), http.StatusOK)
			for _, cmd := range []struct {
				path string
				body any
			}{{"/withdrawals", money(100)}, {"/close", nil}} {
				c.Doing(`POST %s with If-Match: "1", now stale`, cmd.path)
				c.Status(b.Post("/accounts/"+id+cmd.path, cmd.body, "If-Match", `"1"`), http.StatusPreconditionFailed)
			}
			b.Expect(c, id, 100, "open", 2)
		}},
		{"If-Match compares strongly: a weak tag, or one naming no version, never matches", 3, "conflict", func(c *Check, b *Bank) {
			id := b.Open(c, ada("savings", 0))
			for _, tag := range []string{`W/"1"`, `W/"1", W/"2"`, `"one"`, `"0"`, `"01"`, `""`, `"2"`, `"-1"`, `"#1"`, `"~"`, "\"\u0080\"", `"99999999999999999999"`} {
				c.Doing(`deposit with If-Match: %s on an account at version 1, whose ETag is "1"`, tag)
				c.Status(b.Post("/accounts/"+id+"/deposits", money(1), "If-Match", tag), http.StatusPreconditionFailed)
			}
			b.Expect(c, id, 0, "open", 1)
		}},
		{"an If-Match list matches any of its tags, and * any existing account", 3, "conflict", func(c *Check, b *Bank) {
			id := b.Open(c, ada("savings", 0))
			for _, step := range []struct {
				ifMatch string
				version int64
			}{{`"1", "2"`, 1}, {`"1", "2"`, 2}, {`W/"3", "9", "3"`, 3}, {` "7" ,, "4" `, 4}, {"*", 5}, {" * ", 6}} {
				c.Doing("deposit with If-Match: %s on an account at version %d", step.ifMatch, step.version)
				r := b.Post("/accounts/"+id+"/deposits", money(1), "If-Match", step.ifMatch)
				c.Status(r, http.StatusOK)
				c.Equal(step.version+1, r.Int("version"), "version after the deposit")
			}
			c.Doing(`deposit with If-Match: "1", "2", "3" on an account at version 7`)
			c.Status(b.Post("/accounts/"+id+"/deposits", money(1), "If-Match", `"1", "2", "3"`), http.StatusPreconditionFailed)
			c.Doing("deposit with If-Match: * into an account that does not exist")
			c.Status(b.Post("/accounts/0190c6a8-0000-7000-8000-000000000404/deposits", money(1), "If-Match", "*"), http.StatusNotFound)
		}},
	}
}
