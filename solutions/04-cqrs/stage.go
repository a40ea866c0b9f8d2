package bank

import "github.com/go-es-workshop/kit/internal/web"

// Stage describes this stage for GET / and GET /stage.
var Stage = web.StageInfo{
	Number: 4,
	Slug:   "04-cqrs",
	Title:  "CQRS: commands, read models, eventual consistency",
	Features: []string{
		"commands are messages (OpenAccount, DepositMoney, WithdrawMoney, CloseAccount), each with its handler; one pipeline logs, validates (before anything is loaded: a malformed command is a 400 that reads nothing) and makes the command's id the causation id of its events",
		"Idempotency-Key: <key> on a command: a repeat returns the first answer (Idempotent-Replayed: true) and writes nothing, even when both copies arrive at once; the same key with another request is a 422. The key is stored in the same transaction as the events",
		"read models, each a table designed for its query: an account's transaction history with the balance after each line, accounts by owner, daily totals per currency (by the day recorded, in UTC)",
		"projections in goroutines: each reads the log from its checkpoint, writes its rows and the checkpoint in one transaction, wakes on new appends and polls as a fallback; one that fails stops and says why on GET /projections",
		"read your writes: commands answer with their position, queries take min_position and wait (at most 2 s) for their read model; if it does not get there, a 503 names the projection, its checkpoint and its lag",
		"which model answers: GET /accounts/{id} (with its ETag for If-Match) and the event endpoints read the write model (the event store); GET /accounts?owner=, /accounts/{id}/transactions and /reports/daily-totals read read models",
		"stretch task 4.5 (optional): a new question, answered from the whole history: GET /reports/overdrawn lists the accounts below zero, most owed first, each since the event that took it there; its projection starts at position 0 and builds its table from the log already stored, so accounts overdrawn before it existed are listed too",
	},
	Endpoints: []web.Endpoint{
		{Method: "POST", Path: "/accounts", Summary: "command OpenAccount; sets ID (and POS, the position it answers) for the examples below",
			Curl: `R=$(curl -s -X POST $BASE/accounts -H 'Content-Type: application/json' -d '{"owner":"Ada Lovelace","kind":"checking","currency":"EUR","overdraft_limit":10000}'); ID=$(echo "$R" | sed 's/.*"id":"\([^"]*\)".*/\1/'); POS=$(echo "$R" | sed 's/.*"position":\([0-9]*\).*/\1/'); echo "$R"`},
		{Method: "GET", Path: "/accounts/{id}", Summary: "write model: the account rebuilt from its stream (ETag: its version)",
			Curl: `curl -si $BASE/accounts/$ID`},
		{Method: "POST", Path: "/accounts/{id}/deposits", Summary: "command DepositMoney; with Idempotency-Key it happens once: send it twice and see the same answer, Idempotent-Replayed: true",
			Curl: `curl -si -X POST $BASE/accounts/$ID/deposits -H 'Content-Type: application/json' -H "Idempotency-Key: salary-march-$ID" -d '{"amount":5000,"reference":"salary March"}'`},
		{Method: "POST", Path: "/accounts/{id}/withdrawals", Summary: "command WithdrawMoney, down to the overdraft limit; sets POS to the position it answers",
			Curl: `POS=$(curl -s -X POST $BASE/accounts/$ID/withdrawals -H 'Content-Type: application/json' -d '{"amount":3000,"reference":"rent"}' | sed 's/.*"position":\([0-9]*\).*/\1/'); echo "$POS"`},
		{Method: "GET", Path: "/accounts/{id}/transactions?after_version=N&limit=M&min_position=P", Summary: "read model: the account's history, a line per event with the balance after it; min_position waits until it includes your withdrawal",
			Curl: `curl -s "$BASE/accounts/$ID/transactions?min_position=$POS"`},
		{Method: "GET", Path: "/accounts?owner=NAME&after=ID&limit=M&min_position=P", Summary: "read model: an owner's accounts, paged by id",
			Curl: `curl -s "$BASE/accounts?owner=Ada%20Lovelace&min_position=$POS"`},
		{Method: "GET", Path: "/reports/daily-totals?from=DAY&to=DAY&min_position=P", Summary: "read model: money in and out per day (UTC) and currency",
			Curl: `curl -s "$BASE/reports/daily-totals?from=$(date -u +%F)&to=$(date -u +%F)&min_position=$POS"`},
		{Method: "GET", Path: "/reports/overdrawn?after=BALANCE,ID&limit=M&min_position=P", Summary: "stretch task 4.5 (optional): read model: the accounts below zero, most owed first, with owner, currency, balance and since when, paged by balance and id (next_after); a 404 until task 4.5 registers it. The example opens an account of its own with an overdraft, keeps its id in OWES and takes it 2500 below zero",
			Curl: `OWES=$(curl -s -X POST $BASE/accounts -H 'Content-Type: application/json' -d '{"owner":"Grace Hopper","kind":"checking","currency":"EUR","overdraft_limit":5000}' | sed 's/.*"id":"\([^"]*\)".*/\1/'); POS=$(curl -s -X POST $BASE/accounts/$OWES/withdrawals -H 'Content-Type: application/json' -d '{"amount":2500,"reference":"new roof"}' | sed 's/.*"position":\([0-9]*\).*/\1/'); curl -s "$BASE/reports/overdrawn?limit=10&min_position=$POS"`},
		{Method: "GET", Path: "/projections", Summary: "each projection: version, checkpoint, head of the log, lag, status and error",
			Curl: `curl -s $BASE/projections`},
		{Method: "GET", Path: "/accounts/{id}/transactions?min_position=N", Summary: "a position the log has not reached: after 2 s a 503 that names the projection and its lag",
			Curl: `curl -si "$BASE/accounts/$ID/transactions?min_position=999999"`},
		{Method: "POST", Path: "/accounts/{id}/close", Summary: "command CloseAccount (the balance must be zero)",
			Curl: `curl -s -X POST $BASE/accounts/$ID/close`},
		{Method: "GET", Path: "/accounts/{id}/events", Summary: "write model: the account's stream",
			Curl: `curl -s $BASE/accounts/$ID/events`},
		{Method: "GET", Path: "/events?after=N&limit=M", Summary: "write model: the global log, in position order",
			Curl: `curl -s "$BASE/events?after=0&limit=10"`},
		{Method: "GET", Path: "/stage", Summary: "this stage as JSON"},
		{Method: "GET", Path: "/healthz", Summary: "is the database reachable"},
	},
}
