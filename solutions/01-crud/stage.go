package bank

import "github.com/go-es-workshop/kit/internal/web"

// Stage describes this stage for GET / and GET /stage.
var Stage = web.StageInfo{
	Number: 1,
	Slug:   "01-crud",
	Title:  "CRUD: one row per account, updated in place",
	Features: []string{
		"the naive baseline: an accounts table whose balance is overwritten on every change",
		"atomic conditional updates, so that concurrent withdrawals cannot lose an update",
		"what it cannot do: say why a balance is what it is, or what happened when",
		"stretch task 1.3 (optional): a transfer between two accounts in ONE database transaction, both updates or neither",
	},
	Endpoints: []web.Endpoint{
		{Method: "POST", Path: "/accounts", Summary: "open an account; sets ID for the examples below",
			Curl: `ID=$(curl -s -X POST $BASE/accounts -H 'Content-Type: application/json' -d '{"owner":"Ada Lovelace","kind":"checking","currency":"EUR","overdraft_limit":10000}' | sed 's/.*"id":"\([^"]*\)".*/\1/'); echo "$ID"`},
		{Method: "GET", Path: "/accounts/{id}", Summary: "the account as it is now (ETag: its version)",
			Curl: `curl -s $BASE/accounts/$ID`},
		{Method: "POST", Path: "/accounts/{id}/deposits", Summary: "deposit minor units (cents)",
			Curl: `curl -s -X POST $BASE/accounts/$ID/deposits -H 'Content-Type: application/json' -d '{"amount":2500}'`},
		{Method: "POST", Path: "/accounts/{id}/withdrawals", Summary: "withdraw, down to the overdraft limit",
			Curl: `curl -s -X POST $BASE/accounts/$ID/withdrawals -H 'Content-Type: application/json' -d '{"amount":1000}'`},
		{Method: "POST", Path: "/accounts/{id}/close", Summary: "close an account whose balance is zero",
			Curl: `curl -s -X POST $BASE/accounts/$ID/close`},
		{Method: "POST", Path: "/accounts/{id}/transfers", Summary: `stretch task 1.3 (optional): move {"to":"<id>","amount":N} from this account to another, both updates in one transaction; 501 until it is built. The example opens Grace's account first and keeps its id in TO`,
			Curl: `TO=$(curl -s -X POST $BASE/accounts -H 'Content-Type: application/json' -d '{"owner":"Grace Hopper","kind":"savings","currency":"EUR"}' | sed 's/.*"id":"\([^"]*\)".*/\1/'); curl -s -X POST $BASE/accounts/$ID/transfers -H 'Content-Type: application/json' -d "{\"to\":\"$TO\",\"amount\":500}"`},
		{Method: "GET", Path: "/stage", Summary: "this stage as JSON"},
		{Method: "GET", Path: "/healthz", Summary: "is the database reachable"},
	},
}
