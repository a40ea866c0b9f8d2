package spec

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
)

// CheckRandomRequests sends n requests made up from the API's own vocabulary,
// mangled at random (methods, paths, ids, queries, bodies, headers), and requires
// what every stage promises whatever it is sent: never a 5xx, and no write on a
// 4xx. The seed makes a failure repeatable: the message names the request.
func (c *Check) CheckRandomRequests(b *Bank, seed uint64, n int) {
	c.t.Helper()
	c.rule, c.keeper = "whatever a client sends: never a 5xx, and no write on a refusal", "http_*.go, and the command or query the request reached"
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	ids := []string{b.Open(c, ada("checking", 10000)), b.Open(c, ada("savings", 0)),
		"0190c6a8-0000-7000-8000-000000000404", "not-a-uuid", "0190C6A8-7D3E-7A1B-9C2D-3E4F5A6B7C8D",
		"%00", "..", strings.Repeat("9", 300), "", "0190c6a8-7d3e-7a1b-9c2d-3e4f5a6b7c8d/extra"}
	for i := range n {
		req := randomRequest(r, ids, b.Stage)
		before := b.Rows(c)
		c.Doing("random request %d of %d (seed %d): %s", i+1, n, seed, req.describe())
		resp := b.Send(req.BadRequest)
		if todo, ok := stubOf(resp); ok && todo.Stretch && resp.Status == http.StatusNotImplemented {
			continue // an optional task not built yet says so: by design, and it writes nothing
		}
		c.NoStub(resp)
		c.That(resp.Status < 500, "an answer below 500: bad input is the client's problem, never the server's", resp.Describe())
		if resp.Status >= 400 {
			c.Equal(before, b.Rows(c), "rows in "+b.Table+" after a refused request (a refusal writes nothing)")
		}
	}
}

type randomReq struct{ BadRequest }

func (q randomReq) describe() string {
	body := q.Body
	if len(body) > 120 {
		body = body[:120] + "…"
	}
	return fmt.Sprintf("%s %s %q headers %q content-type %q", q.Method, q.Path, body, q.Headers, q.ContentType)
}

func pick[T any](r *rand.Rand, from ...T) T { return from[r.IntN(len(from))] }

func randomRequest(r *rand.Rand, ids []string, stage int) randomReq {
	id := pick(r, ids...)
	paths := []string{"/", "/stage", "/healthz", "/accounts", "/accounts/" + id, "/accounts/" + id + "/deposits",
		"/accounts/" + id + "/withdrawals", "/accounts/" + id + "/close", "/accounts/" + id + "/events", "/events",
		"/accounts/" + id + "/transactions", "/projections", "/accounts//deposits", "/nowhere/" + id}
	if stage >= 5 { // only from stage 5: the earlier stages keep their sequences of requests
		paths = append(paths, "/outbox", "/dead-letters", "/dead-letters/"+pick(r, "1", "0", "-1", "x", "01", id)+"/redrive")
	}
	if stage >= 6 {
		paths = append(paths, "/statements/messages", "/statements/messages", "/statements/"+id,
			"/projections/"+pick(r, "accounts_by_owner", "daily_totals", "account_transactions", "x", "", "%00")+"/rebuild",
			"/consumer-dead-letters/"+pick(r, "1", "0", "-1", "x", "01", id)+"/redrive")
	}
	if stage >= 4 { // the daily totals' report, and its from and to (below)
		paths = append(paths, "/reports/daily-totals", "/reports/daily-totals")
	}
	if stage >= 7 {
		paths = append(paths, "/schemas", "/schemas/"+pick(r, "MoneyDeposited", "x", ""))
	}
	path := pick(r, paths...)
	if r.IntN(3) == 0 {
		keys := []string{"after", "limit", "owner", "min_position", "as_of", "x"}
		values := []string{"0", "-1", "1", "1000", "1001", "9223372036854775808", "abc", "", "%FF", "1e3", "2026-01-01T00:00:00Z"}
		if stage >= 4 {
			keys = append(keys, "from", "to", "from")
			values = append(values, "2026-01-01", "2026-02-30", "01/02/2026", "9999-12-31", "-0001-01-01")
		}
		path += "?" + pick(r, keys...) + "=" + pick(r, values...)
		if stage >= 4 && r.IntN(2) == 0 {
			path += "&to=" + pick(r, values...)
		}
	}
	method := pick(r, http.MethodPost, http.MethodPost, http.MethodPost, http.MethodGet, http.MethodGet,
		http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead, http.MethodOptions)
	body := randomBody(r, stage)
	if r.IntN(2) == 0 { // half of them well-formed, so that commands run too
		method, body = http.MethodPost, validBody(r, path, stage)
	}
	q := randomReq{BadRequest{Method: method, Path: path, Body: body,
		ContentType: pick(r, "application/json", "application/json", "application/json; charset=utf-8",
			"application/problem+json", "text/plain", "", "application/json; charset=latin1", "multipart/form-data")}}
	for range r.IntN(3) {
		q.Headers = append(q.Headers, pick(r, "If-Match", "X-Correlation-ID", "X-User-ID", "Idempotency-Key"),
			pick(r, `"1"`, `"2"`, `W/"1"`, "*", `"1", "2"`, "", " ", "a b", strings.Repeat("k", 300), "\u00e9t\u00e9", `"`, "1"))
	}
	return q
}

// validBody is a well-formed body for the command at path (if any).
func validBody(r *rand.Rand, path string, stage int) string {
	switch {
	case strings.HasSuffix(path, "/deposits"), strings.HasSuffix(path, "/withdrawals"):
		return fmt.Sprintf(`{"amount":%d}`, pick(r, 1, 100, 2500, 10000, 10000000000))
	case strings.HasSuffix(path, "/close"):
		return pick(r, "", "{}")
	case path == "/statements/messages":
		account := pick(r, "0190c6a8-0000-7000-8000-00000000beef", "x", "")
		return fmt.Sprintf(`{"message_id":%q,"type":%q,"subject":%q,"occurred_at":"2024-05-01T10:00:00Z","correlation_id":"","data":%s}`,
			pick(r, "m-1", "m-2", "m-1", ""), pick(r, "bank.account.v1.AccountOpened", "bank.account.v1.MoneyDeposited", "bank.account.v1.MoneyWithdrawn",
				"bank.account.v1.AccountClosed", "bank.account.v9.Nope"), account,
			pick(r, `{"account_id":"`+account+`","kind":"checking","currency":"EUR"}`, `{"account_id":"`+account+`","amount":5,"currency":"EUR"}`,
				`{"account_id":"`+account+`","amount":-5,"currency":"EUR"}`, `"text"`, `[1]`, `{}`, `null`))
	case path == "/accounts" && stage >= 7: // stage 7 brings the holder type
		return pick(r, `{"owner":"Grace","kind":"savings","currency":"GBP"}`, `{"owner":"Initech","holder_type":"company","kind":"checking","currency":"EUR"}`,
			`{"owner":"Alan","holder_type":"person","kind":"checking","currency":"EUR","overdraft_limit":5000}`)
	case path == "/accounts":
		return pick(r, `{"owner":"Grace","kind":"savings","currency":"GBP"}`, `{"owner":"Alan","kind":"checking","currency":"EUR","overdraft_limit":5000}`)
	}
	return ""
}

// randomBody is valid JSON of the API's fields with values of any type, or not JSON at all.
// From stage 7 it also uses the holder type's field and values.
func randomBody(r *rand.Rand, stage int) string {
	switch r.IntN(6) {
	case 0:
		return pick(r, "", "{", "}", "[]", "null", "0", `"text"`, "{}{}", "\x00\x01", strings.Repeat("[", 2000))
	case 1:
		return string([]byte{byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
	}
	names := []string{"amount", "amount", "reference", "owner", "kind", "currency", "overdraft_limit", "to", "AMOUNT", "x"}
	values := []any{0, 1, 5, -5, 2500, 10000000000, 10000000001, 1.5, "25", nil, true,
		[]int{1}, map[string]int{"a": 1}, "Ada", "", "checking", "savings", "EUR", "eur", "XXX",
		strings.Repeat("é", 141), "rent\u0007", "\tAda", float64(1<<62) * 4}
	if stage >= 7 {
		names = append(names, "holder_type", "holder_type")
		values = append(values, "person", "company", "Company", "organisation")
	}
	fields := map[string]any{}
	for range r.IntN(5) {
		fields[pick(r, names...)] = pick(r, values...)
	}
	data, err := json.Marshal(fields)
	if err != nil {
		return "{}"
	}
	return string(data)
}
