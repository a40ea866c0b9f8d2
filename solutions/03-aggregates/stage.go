package bank

import "github.com/go-es-workshop/kit/internal/web"

// Stage describes this stage for GET / and GET /stage.
var Stage = web.StageInfo{
	Number: 3,
	Slug:   "03-aggregates",
	Title:  "Aggregates: rules inside a consistency boundary",
	Features: []string{
		"the Account aggregate: its state changes only through methods that check the rules first, then record an event",
		"an AccountFactory: opens accounts with rules per kind, and rebuilds them from history, refusing histories with gaps",
		"a repository that loads and saves accounts as streams, with the loaded version as expected version",
		"a command handler that retries a concurrency conflict with a fresh decision, a bounded number of times",
		`If-Match: "<version>" (or a list of them, or *) on a command gives 412 when the account has moved on; compared strongly (RFC 9110), so a weak W/"..." tag never matches`,

		`stretch task 3.5 (optional): close with {"payout":true}: one command, two events (MoneyWithdrawn of the balance, "payout on closing", then AccountClosed), appended together or not at all`,
	},
	Endpoints: []web.Endpoint{
		{Method: "POST", Path: "/accounts", Summary: "open an account (the factory applies the rules of its kind); sets ID for the examples below",
			Curl: `ID=$(curl -s -X POST $BASE/accounts -H 'Content-Type: application/json' -d '{"owner":"Ada Lovelace","kind":"checking","currency":"EUR","overdraft_limit":10000}' | sed 's/.*"id":"\([^"]*\)".*/\1/'); echo "$ID"`},
		{Method: "GET", Path: "/accounts/{id}", Summary: "the account (ETag: its version)",
			Curl: `curl -si $BASE/accounts/$ID`},
		{Method: "POST", Path: "/accounts/{id}/deposits", Summary: "deposit; with If-Match only if the version still matches",
			Curl: `curl -s -X POST $BASE/accounts/$ID/deposits -H 'Content-Type: application/json' -H 'If-Match: "1"' -d '{"amount":2500,"reference":"salary March"}'`},
		{Method: "POST", Path: "/accounts/{id}/withdrawals", Summary: "withdraw, down to the overdraft limit",
			Curl: `curl -s -X POST $BASE/accounts/$ID/withdrawals -H 'Content-Type: application/json' -d '{"amount":1000,"reference":"rent"}'`},
		{Method: "POST", Path: "/accounts/{id}/close", Summary: "close an account whose balance is zero",
			Curl: `curl -s -X POST $BASE/accounts/$ID/close`},
		{Method: "POST", Path: "/accounts/{id}/close", Summary: `stretch task 3.5 (optional): with {"payout":true}, pay the whole balance out and close, in one command that records two events; refused (422) when the account is overdrawn; 501 until it is built. The example opens an account of its own and keeps its id in PAID`,
			Curl: `PAID=$(curl -s -X POST $BASE/accounts -H 'Content-Type: application/json' -d '{"owner":"Grace Hopper","kind":"savings","currency":"EUR"}' | sed 's/.*"id":"\([^"]*\)".*/\1/'); curl -s -X POST $BASE/accounts/$PAID/deposits -H 'Content-Type: application/json' -d '{"amount":700}'; curl -s -X POST $BASE/accounts/$PAID/close -H 'Content-Type: application/json' -d '{"payout":true}'; curl -s $BASE/accounts/$PAID/events`},
		{Method: "GET", Path: "/accounts/{id}/events", Summary: "the account's stream",
			Curl: `curl -s $BASE/accounts/$ID/events`},
		{Method: "GET", Path: "/events?after=N&limit=M", Summary: "the global log, in position order",
			Curl: `curl -s "$BASE/events?after=0&limit=10"`},
		{Method: "GET", Path: "/stage", Summary: "this stage as JSON"},
		{Method: "GET", Path: "/healthz", Summary: "is the database reachable"},
	},
}
