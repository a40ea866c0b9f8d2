package aggregates_test

import (
	"net/http"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
)

func TestGuard_BadInputIsRefusedAndWritesNothing(t *testing.T) {
	c := spec.Guard(t, stage, "http_requests.go, http_if_match.go, http_api.go and internal/web (decoding)", "bad input is a 4xx problem+json and writes nothing")
	api, db := newAPI(t)
	cases := spec.BadRequests(adaID)
	// Malformed: not * and not a list of entity tags. A well-formed tag that does not
	// match (W/"1", "one", "0") is a 412 instead, tested with an existing account.
	for _, ifMatch := range []string{`1`, `'1'`, "`2`", `"1`, `W/1`, `w/"1"`, `"1" "2"`, `*, "1"`, `"a b"`, `,`, `" 1"`, `1"`} {
		cases = append(cases, spec.BadRequest{Name: "malformed If-Match " + ifMatch, Method: "POST", Path: "/accounts/" + adaID + "/deposits",
			ContentType: "application/json", Body: `{"amount":5}`, Headers: []string{"If-Match", ifMatch}, Want: http.StatusBadRequest})
	}
	cases = append(cases, spec.BadRequest{Name: "close with a malformed If-Match", Method: "POST", Path: "/accounts/" + adaID + "/close",
		Headers: []string{"If-Match", "1"}, Want: http.StatusBadRequest})
	for _, bad := range cases {
		c.CheckRefused(bad, api.Send(bad))
	}
	var n int
	c.NoError(db.Read.QueryRow(`SELECT COUNT(*) FROM events`).Scan(&n), "counting events")
	c.Equal(0, n, "events stored")
}

func TestGuard_UnknownAccountsAre404(t *testing.T) {
	c := spec.Guard(t, stage, "http_api.go and http_events.go", "an unknown account is a 404")
	api, _ := newAPI(t)
	for _, path := range []string{"/accounts/" + adaID, "/accounts/" + adaID + "/events"} {
		c.Doing("GET %s", path)
		c.Status(api.Get(path), http.StatusNotFound)
	}
}

func TestGuard_IndexStageAndHealth(t *testing.T) {
	api, _ := newAPI(t)
	spec.Guard(t, stage, "stage.go and internal/web (index page)", "GET /, /stage and /healthz describe the stage").CheckStagePages(api, 3, "If-Match", "payout")
}
