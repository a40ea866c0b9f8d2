package bank

import "github.com/go-es-workshop/kit/internal/web"

// Stage describes this stage for GET / and GET /stage.
var Stage = web.StageInfo{
	Number: 5,
	Slug:   "05-outbox",
	Title:  "The transactional outbox: telling other services, reliably",
	Features: []string{
		"integration events are a contract, not the internal events: a versioned type per announcement (bank.account.v1.MoneyWithdrawn) carrying only what other services may rely on (the account, the amount, its currency; never the owner's name or the payment's reference)",
		"the outbox: a command's events and the messages that announce them are written in ONE transaction, both or neither; no dual write (save then publish loses a message in a crash, publish then save announces what never happened)",
		"the relay delivers the outbox in order to a publisher (a subscriber in the process, or cmd/server -webhook URL) and marks a message published only after the publisher acknowledged it: at least once, and the message id lets a consumer drop a copy",
		"a refused message is tried again after an exponential backoff with jitter; after a few attempts it is parked in dead_letters with the reason, and the relay goes on: only the later messages of the same account wait behind it",
		"one relay per database: a lease in the database, renewed while the relay works, so two servers on one file never both publish",
		"GET /outbox: the relay, its lease and what waits (attempts, next try, last error); GET /dead-letters; POST /dead-letters/{id}/redrive sends a parked message again",
	},
	Endpoints: []web.Endpoint{
		{Method: "POST", Path: "/accounts", Summary: "command OpenAccount; its AccountOpened is announced as bank.account.v1.AccountOpened. Sets ID for the examples below",
			Curl: `R=$(curl -s -X POST $BASE/accounts -H 'Content-Type: application/json' -d '{"owner":"Ada Lovelace","kind":"checking","currency":"EUR","overdraft_limit":10000}'); ID=$(echo "$R" | sed 's/.*"id":"\([^"]*\)".*/\1/'); echo "$R"`},
		{Method: "POST", Path: "/accounts/{id}/deposits", Summary: "command DepositMoney: the event and its message bank.account.v1.MoneyDeposited, in one transaction",
			Curl: `curl -s -X POST $BASE/accounts/$ID/deposits -H 'Content-Type: application/json' -d '{"amount":5000,"reference":"salary March"}'`},
		{Method: "POST", Path: "/accounts/{id}/withdrawals", Summary: "command WithdrawMoney: announced as bank.account.v1.MoneyWithdrawn with the amount and currency, without the reference",
			Curl: `curl -s -X POST $BASE/accounts/$ID/withdrawals -H 'Content-Type: application/json' -d '{"amount":3000,"reference":"rent"}'`},
		{Method: "GET", Path: "/outbox", Summary: "the relay (status, publisher, lease) and the undelivered messages in order: attempts, next try, last error; the in-process subscriber's last messages",
			Curl: `curl -s $BASE/outbox`},
		{Method: "GET", Path: "/dead-letters", Summary: "messages parked after too many refusals, with the reason; each holds back its own account's later messages only",
			Curl: `curl -s $BASE/dead-letters`},
		{Method: "POST", Path: "/dead-letters/{id}/redrive", Summary: "stretch task 5.5: send a parked message again, at the head of its account's messages (404 for an unknown id; 501 until 5.5 is built)",
			Curl: `curl -si -X POST $BASE/dead-letters/1/redrive`},
		{Method: "GET", Path: "/accounts/{id}/events", Summary: "the internal events: compare them with the messages above",
			Curl: `curl -s $BASE/accounts/$ID/events`},
		{Method: "GET", Path: "/accounts/{id}", Summary: "write model: the account rebuilt from its stream (ETag: its version)",
			Curl: `curl -si $BASE/accounts/$ID`},
		{Method: "GET", Path: "/accounts/{id}/transactions?min_position=P", Summary: "read model: the account's history (stage 4)",
			Curl: `curl -s $BASE/accounts/$ID/transactions`},
		{Method: "GET", Path: "/accounts?owner=NAME", Summary: "read model: an owner's accounts (stage 4)",
			Curl: `curl -s "$BASE/accounts?owner=Ada%20Lovelace"`},
		{Method: "GET", Path: "/reports/daily-totals?from=DAY&to=DAY", Summary: "read model: money in and out per day (UTC) and currency (stage 4)",
			Curl: `curl -s "$BASE/reports/daily-totals?from=$(date -u +%F)&to=$(date -u +%F)"`},
		{Method: "GET", Path: "/projections", Summary: "each projection's checkpoint and lag (stage 4)",
			Curl: `curl -s $BASE/projections`},
		{Method: "POST", Path: "/accounts/{id}/close", Summary: "command CloseAccount (the balance must be zero); announced as bank.account.v1.AccountClosed"},
		{Method: "GET", Path: "/events?after=N&limit=M", Summary: "the global log, in position order",
			Curl: `curl -s "$BASE/events?after=0&limit=10"`},
		{Method: "GET", Path: "/stage", Summary: "this stage as JSON"},
		{Method: "GET", Path: "/healthz", Summary: "is the database reachable"},
	},
}
