package bank

import "github.com/go-es-workshop/kit/internal/web"

// Stage describes this stage for GET / and GET /stage.
var Stage = web.StageInfo{
	Number: 2,
	Slug:   "02-events",
	Title:  "Events: facts in an append-only store",
	Features: []string{
		"events as past-tense facts, each in an envelope: UUIDv7 id, stream, version, global position, type, schema version, time",
		"deposits and withdrawals keep the client's reason, an optional reference (\"salary March\", \"rent\"), in their events",
		"metadata on every event: correlation id, causation id (the command), user id, from X-Correlation-ID and X-User-ID",
		"a registry that names events explicitly for storage; an SQLite event store with optimistic concurrency",
		"the current state as a left fold over the events; every past state can be answered",
		"a migration that turns stage 1's rows into opening events, safe to run twice",
		"stretch task 2.5 (optional): GET /accounts/{id}?as_of=<RFC 3339 time>, the account as it was then: the fold over the events recorded by that time",
	},
	Endpoints: []web.Endpoint{
		{Method: "POST", Path: "/accounts", Summary: "open an account: answers its id, version and position; sets ID for the examples below",
			Curl: `ID=$(curl -s -X POST $BASE/accounts -H 'Content-Type: application/json' -H 'X-User-ID: ada' -d '{"owner":"Ada Lovelace","kind":"checking","currency":"EUR","overdraft_limit":10000}' | sed 's/.*"id":"\([^"]*\)".*/\1/'); echo "$ID"`},
		{Method: "GET", Path: "/accounts/{id}", Summary: "the account's state, folded from its events (ETag: its version)",
			Curl: `curl -s $BASE/accounts/$ID`},
		{Method: "POST", Path: "/accounts/{id}/deposits", Summary: "deposit minor units (cents), with an optional reference: why",
			Curl: `curl -s -X POST $BASE/accounts/$ID/deposits -H 'Content-Type: application/json' -H 'X-Correlation-ID: demo-1' -d '{"amount":2500,"reference":"salary March"}'`},
		{Method: "POST", Path: "/accounts/{id}/withdrawals", Summary: "withdraw, down to the overdraft limit",
			Curl: `curl -s -X POST $BASE/accounts/$ID/withdrawals -H 'Content-Type: application/json' -d '{"amount":1000,"reference":"rent"}'`},
		{Method: "POST", Path: "/accounts/{id}/close", Summary: "close an account whose balance is zero",
			Curl: `curl -s -X POST $BASE/accounts/$ID/close`},
		{Method: "GET", Path: "/accounts/{id}?as_of=<RFC 3339 time>", Summary: "stretch task 2.5 (optional): the account as it was at that time, folded from the events recorded (recorded_at) by then, not by a booking date; a time before it opened is a 404, a malformed one a 400; 501 until it is built. The example keeps the time in AT, deposits, and asks for the balance before that deposit",
			Curl: `sleep 1; AT=$(date -u +%Y-%m-%dT%H:%M:%SZ); curl -s -X POST $BASE/accounts/$ID/deposits -H 'Content-Type: application/json' -d '{"amount":100,"reference":"later"}'; curl -s "$BASE/accounts/$ID?as_of=$AT"`},
		{Method: "GET", Path: "/accounts/{id}/events", Summary: "the account's stream: why the balance is what it is",
			Curl: `curl -s $BASE/accounts/$ID/events`},
		{Method: "GET", Path: "/events?after=N&limit=M", Summary: "the global log, in position order, a page at a time",
			Curl: `curl -s "$BASE/events?after=0&limit=10"`},
		{Method: "GET", Path: "/stage", Summary: "this stage as JSON"},
		{Method: "GET", Path: "/healthz", Summary: "is the database reachable"},
	},
}
