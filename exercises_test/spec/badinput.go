package spec

import (
	"fmt"
	"strings"
)

// BadRequest is a request the API must refuse with a problem, writing nothing.
type BadRequest struct {
	Name        string
	Method      string
	Path        string
	ContentType string // "" sends none
	Body        string
	Headers     []string
	Want        int
	DetailHas   string // "" or a word the problem's detail must contain, such as the field at fault
}

// BadRequests lists malformed and invalid requests that every stage must refuse.
// accountID is an existing, open account. None of them reaches an exercise, so
// the starter passes them too. A reference (the reason of a deposit or withdrawal)
// that is too long or not text is refused in every stage: from stage 2 as an
// invalid reference, in stage 1 as a field the CRUD API does not have.
func BadRequests(accountID string) []BadRequest {
	const js = "application/json"
	open := func(name, body string, want int) BadRequest {
		return BadRequest{Name: "open: " + name, Method: "POST", Path: "/accounts", ContentType: js, Body: body, Want: want}
	}
	valid := `"owner":"Ada","kind":"checking","currency":"EUR"`
	cases := []BadRequest{
		open("malformed JSON", `{"owner":`, 400),
		open("not an object", `[1,2]`, 400),
		open("two objects", `{`+valid+`}{}`, 400),
		open("empty body", ``, 400),
		open("owner is a number", `{"owner":5,"kind":"checking","currency":"EUR"}`, 400),
		open("blank owner", `{"owner":"   ","kind":"checking","currency":"EUR"}`, 400),
		open("owner too long", `{"owner":"`+strings.Repeat("a", 101)+`","kind":"checking","currency":"EUR"}`, 400),
		open("control character in owner", `{"owner":"Ada\u0000","kind":"checking","currency":"EUR"}`, 400),
		mention(open("missing kind", `{"owner":"Ada","currency":"EUR"}`, 400), "kind is required"),
		mention(open("missing owner", `{"kind":"checking","currency":"EUR"}`, 400), "owner is required"),
		mention(open("missing currency", `{"owner":"Ada","kind":"checking"}`, 400), "currency is required"),
		mention(open("nothing but an overdraft", `{"overdraft_limit":5}`, 400), "owner is required"),
		open("control character first in owner", `{"owner":"\tAda","kind":"checking","currency":"EUR"}`, 400),
		open("unknown kind", `{"owner":"Ada","kind":"gold","currency":"EUR"}`, 400),
		open("kind in capitals", `{"owner":"Ada","kind":"Checking","currency":"EUR"}`, 400),
		open("unknown currency", `{"owner":"Ada","kind":"checking","currency":"XXX"}`, 400),
		open("lower-case currency", `{"owner":"Ada","kind":"checking","currency":"eur"}`, 400),
		open("negative overdraft", `{`+valid+`,"overdraft_limit":-1}`, 400),
		open("fractional overdraft", `{`+valid+`,"overdraft_limit":10.5}`, 400),
		open("overdraft as a string", `{`+valid+`,"overdraft_limit":"100"}`, 400),
		open("unknown field", `{`+valid+`,"balance":1000000}`, 400),
		open("a field in the wrong case", `{"OWNER":"Ada","kind":"checking","currency":"EUR"}`, 400),
		open("a field twice", `{`+valid+`,"owner":"Eve"}`, 400),
		{Name: "open: text/plain", Method: "POST", Path: "/accounts", ContentType: "text/plain", Body: `{` + valid + `}`, Want: 415},
		{Name: "open: no content type", Method: "POST", Path: "/accounts", Body: `{` + valid + `}`, Want: 415},
		{Name: "open: 100 KB body", Method: "POST", Path: "/accounts", ContentType: js, Body: `{"owner":"` + strings.Repeat("a", 100<<10) + `"}`, Want: 413},
		{Name: "open: malformed correlation id", Method: "POST", Path: "/accounts", ContentType: js, Body: `{` + valid + `}`, Headers: []string{"X-Correlation-ID", "has spaces in it"}, Want: 400},
		{Name: "get: malformed id", Method: "GET", Path: "/accounts/not-a-uuid", Want: 400, DetailHas: "is not a UUID"},
		{Name: "close: malformed id", Method: "POST", Path: "/accounts/42/close", Want: 400, DetailHas: "is not a UUID"},
		{Name: "close: a text body", Method: "POST", Path: "/accounts/" + accountID + "/close", ContentType: "text/plain", Body: "now", Want: 415},
		{Name: "close: a field it does not take", Method: "POST", Path: "/accounts/" + accountID + "/close", ContentType: js, Body: `{"reason":"x"}`, Want: 400},
		{Name: "close: malformed JSON", Method: "POST", Path: "/accounts/" + accountID + "/close", ContentType: js, Body: `{`, Want: 400},
		{Name: "unknown route", Method: "GET", Path: "/nowhere", Want: 404},
	}
	for _, op := range []string{"deposits", "withdrawals"} {
		path := "/accounts/" + accountID + "/" + op
		amount := func(name, body string) BadRequest {
			return BadRequest{Name: op + ": " + name, Method: "POST", Path: path, ContentType: js, Body: body, Want: 400}
		}
		cases = append(cases,
			amount("zero", `{"amount":0}`),
			amount("negative", `{"amount":-5}`),
			amount("fraction", `{"amount":25.5}`),
			amount("exponent", `{"amount":1e3}`),
			amount("string", `{"amount":"25"}`),
			amount("null", `{"amount":null}`),
			mention(amount("missing", `{}`), "amount is required"),
			amount("past int64", `{"amount":9223372036854775808}`),
			amount("above the maximum", `{"amount":10000000001}`),
			amount("unknown field", `{"amount":5,"currency":"USD"}`),
			amount("upper-case field", `{"AMOUNT":5}`),
			amount("amount twice", `{"amount":5,"amount":7}`),
			BadRequest{Name: op + ": reference of 141 characters", Method: "POST", Path: path, ContentType: js,
				Body: `{"amount":5,"reference":"` + strings.Repeat("é", 141) + `"}`, Want: 400, DetailHas: "reference"},
			BadRequest{Name: op + ": control character in reference", Method: "POST", Path: path, ContentType: js,
				Body: `{"amount":5,"reference":"rent\u0007"}`, Want: 400, DetailHas: "reference"},
			BadRequest{Name: op + ": control character first in reference", Method: "POST", Path: path, ContentType: js,
				Body: `{"amount":5,"reference":"\trent"}`, Want: 400, DetailHas: "reference"},
			BadRequest{Name: op + ": reference as a number", Method: "POST", Path: path, ContentType: js,
				Body: `{"amount":5,"reference":42}`, Want: 400, DetailHas: "reference"},
			BadRequest{Name: op + ": malformed id", Method: "POST", Path: "/accounts/42/" + op, ContentType: js, Body: `{"amount":5}`, Want: 400, DetailHas: "is not a UUID"},
			BadRequest{Name: op + ": wrong content type", Method: "POST", Path: path, ContentType: "application/xml", Body: `<amount>5</amount>`, Want: 415},
		)
	}
	return cases
}

func mention(b BadRequest, words string) BadRequest {
	b.DetailHas = words
	return b
}

// PolicyRefusals are well-formed requests to open an account that the bank's
// rules refuse (422): a savings account with an overdraft, an overdraft above the cap.
func PolicyRefusals() []BadRequest {
	open := func(name, body string) BadRequest {
		return BadRequest{Name: "open: " + name, Method: "POST", Path: "/accounts", ContentType: "application/json", Body: body, Want: 422}
	}
	return []BadRequest{
		open("savings with an overdraft", `{"owner":"Ada","kind":"savings","currency":"EUR","overdraft_limit":100}`),
		open("overdraft above the cap", `{"owner":"Ada","kind":"checking","currency":"EUR","overdraft_limit":500001}`),
	}
}

// Send sends a BadRequest as it is (no JSON encoding).
func (a *API) Send(b BadRequest) Response {
	headers := append([]string{}, b.Headers...)
	if b.ContentType != "" {
		headers = append(headers, "Content-Type", b.ContentType)
	}
	return a.rawDo(b.Method, b.Path, b.Body, headers...)
}

// CheckRefused fails unless r is the wanted problem+json error.
func (c *Check) CheckRefused(b BadRequest, r Response) {
	c.t.Helper()
	c.Doing("%s %s (%s)", b.Method, b.Path, b.Name)
	c.Status(r, b.Want)
	ct := r.Header.Get("Content-Type")
	c.That(strings.HasPrefix(ct, "application/problem+json"), "Content-Type application/problem+json", fmt.Sprintf("Content-Type %q", ct))
	c.That(r.Int("status") == int64(b.Want) && r.String("title") != "", "a problem body with status and title", string(r.Body))
	if b.DetailHas != "" {
		c.That(strings.Contains(r.String("detail"), b.DetailHas), fmt.Sprintf("a detail that names %q", b.DetailHas), r.Describe())
	}
}

// CQRSBadRequests lists what stage 4 on must refuse besides BadRequests: commands
// with an Idempotency-Key that is not one, and queries on the read models with
// parameters that are not what they take. accountID is an existing, open account.
func CQRSBadRequests(accountID string) []BadRequest {
	const js = "application/json"
	var cases []BadRequest
	for _, key := range []string{"", "has spaces", strings.Repeat("k", 129), `"unclosed`, `unopened"`, `""`, `"a" "b"`, "key-1, key-2", "clé", `'single'`} {
		cases = append(cases, BadRequest{Name: "deposit with Idempotency-Key " + key, Method: "POST", Path: "/accounts/" + accountID + "/deposits",
			ContentType: js, Body: `{"amount":5}`, Headers: []string{"Idempotency-Key", key}, Want: 400, DetailHas: "Idempotency-Key"})
	}
	for _, key := range []string{"has spaces"} {
		cases = append(cases,
			BadRequest{Name: "open with Idempotency-Key " + key, Method: "POST", Path: "/accounts", ContentType: js,
				Body: `{"owner":"Ada","kind":"checking","currency":"EUR"}`, Headers: []string{"Idempotency-Key", key}, Want: 400, DetailHas: "Idempotency-Key"},
			BadRequest{Name: "withdraw with Idempotency-Key " + key, Method: "POST", Path: "/accounts/" + accountID + "/withdrawals", ContentType: js,
				Body: `{"amount":5}`, Headers: []string{"Idempotency-Key", key}, Want: 400, DetailHas: "Idempotency-Key"},
			BadRequest{Name: "close with Idempotency-Key " + key, Method: "POST", Path: "/accounts/" + accountID + "/close",
				Headers: []string{"Idempotency-Key", key}, Want: 400, DetailHas: "Idempotency-Key"},
		)
	}
	get := func(name, path, detail string) BadRequest {
		return BadRequest{Name: name, Method: "GET", Path: path, Want: 400, DetailHas: detail}
	}
	history := "/accounts/" + accountID + "/transactions"
	cases = append(cases,
		get("accounts by owner without an owner", "/accounts", "owner"),
		get("accounts by owner, blank", "/accounts?owner=%20%20", "owner"),
		get("accounts by owner, too long", "/accounts?owner="+strings.Repeat("a", 101), "owner"),
		get("accounts by owner after something that is not an account id", "/accounts?owner=Ada&after=42", "after"),
		get("accounts by owner after a UUID without its dashes", "/accounts?owner=Ada&after=0190c6a87d3e7a1b9c2d3e4f5a6b7c8d", "after"),
		get("accounts by owner, limit 0", "/accounts?owner=Ada&limit=0", "limit"),
		get("accounts by owner, limit 1001", "/accounts?owner=Ada&limit=1001", "limit"),
		get("accounts by owner, min_position -1", "/accounts?owner=Ada&min_position=-1", "min_position"),
		get("accounts by owner, min_position 1.5", "/accounts?owner=Ada&min_position=1.5", "min_position"),
		get("transactions of a malformed id", "/accounts/42/transactions", "id"),
		get("transactions after version -1", history+"?after_version=-1", "after_version"),
		get("transactions, limit 0", history+"?limit=0", "limit"),
		get("transactions, limit 1001", history+"?limit=1001", "limit"),
		get("transactions, min_position two", history+"?min_position=two", "min_position"),
		get("daily totals without from", "/reports/daily-totals?to=2024-05-01", "query parameter from"),
		get("daily totals without to", "/reports/daily-totals?from=2024-05-01", "query parameter to"),
		get("daily totals from a day that does not exist", "/reports/daily-totals?from=2024-02-30&to=2024-03-01", "query parameter from"),
		get("daily totals from a time, not a day", "/reports/daily-totals?from=2024-05-01T00:00:00Z&to=2024-05-02", "query parameter from"),
		get("daily totals to a day that does not exist", "/reports/daily-totals?from=2024-05-01&to=2024-05-32", "query parameter to"),
		get("daily totals to before from", "/reports/daily-totals?from=2024-05-02&to=2024-05-01", "366 days"),
		get("daily totals over 367 days", "/reports/daily-totals?from=2024-01-01&to=2025-01-01", "366 days"),
		get("daily totals, min_position x", "/reports/daily-totals?from=2024-05-01&to=2024-05-01&min_position=x", "min_position"),
	)
	return cases
}

// OutboxBadRequests lists requests to the outbox's endpoints (stage 5) that must
// be refused: a dead letter's id is a positive integer, in its plain form.
func OutboxBadRequests() []BadRequest {
	var cases []BadRequest
	for _, id := range []string{"0", "-1", "x", "01", "+1", "1.5", "1e3", "99999999999999999999", "%20"} {
		cases = append(cases, BadRequest{Name: "redrive dead letter " + id, Method: "POST", Path: "/dead-letters/" + id + "/redrive", Want: 400, DetailHas: "dead letter"})
	}
	return append(cases,
		BadRequest{Name: "redrive a dead letter that does not exist", Method: "POST", Path: "/dead-letters/4040/redrive", Want: 404, DetailHas: "not found"},
		BadRequest{Name: "redrive with a body", Method: "POST", Path: "/dead-letters/1/redrive", ContentType: "application/json", Body: `{"force":true}`, Want: 400},
		BadRequest{Name: "POST /outbox", Method: "POST", Path: "/outbox", ContentType: "application/json", Body: `{}`, Want: 405},
		BadRequest{Name: "DELETE /dead-letters", Method: "DELETE", Path: "/dead-letters", Want: 405},
	)
}
