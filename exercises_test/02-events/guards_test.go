package events_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
)

const unknownID = "0190c6a8-7d3e-7a1b-9c2d-3e4f5a6b7c8d"

func TestGuard_BadInputIsRefusedAndWritesNothing(t *testing.T) {
	c := spec.Guard(t, stage, "http_requests.go, http_api.go and internal/web (decoding)", "bad input is a 4xx problem+json and writes nothing")
	api, db := newAPI(t)
	for _, bad := range append(spec.PolicyRefusals(), spec.BadRequests(unknownID)...) {
		c.CheckRefused(bad, api.Send(bad))
	}
	for _, query := range []string{"after=-1", "after=x", "limit=0", "limit=1001", "limit=2.5"} {
		bad := spec.BadRequest{Name: "bad query", Method: "GET", Path: "/events?" + query, Want: http.StatusBadRequest}
		c.CheckRefused(bad, api.Send(bad))
	}
	c.Doing("count the events after all the refused requests")
	c.Equal(0, countEvents(c, db), "events stored")
}

func TestGuard_UnknownAccountsAre404(t *testing.T) {
	c := spec.Guard(t, stage, "http_api.go and http_events.go", "an unknown account is a 404")
	api, _ := newAPI(t)
	for _, path := range []string{"/accounts/" + unknownID, "/accounts/" + unknownID + "/events"} {
		c.Doing("GET %s", path)
		c.Status(api.Get(path), http.StatusNotFound)
	}
	c.Doing("POST /accounts/%s/close", unknownID)
	c.Status(api.Post("/accounts/"+unknownID+"/close", nil), http.StatusNotFound)
}

func TestGuard_AnEmptyLogIsAnEmptyPage(t *testing.T) {
	c := spec.Guard(t, stage, "http_events.go (allEvents)", "an empty log is an empty page, not null")
	api, _ := newAPI(t)
	c.Doing("GET /events on a new store")
	r := api.Get("/events")
	c.Status(r, http.StatusOK)
	c.Equal(`{"events":[],"next_after":0}`, strings.TrimSpace(string(r.Body)), "the body")
}

func TestGuard_IndexStageAndHealth(t *testing.T) {
	api, _ := newAPI(t)
	spec.Guard(t, stage, "stage.go and internal/web (index page)", "GET /, /stage and /healthz describe the stage").CheckStagePages(api, 2, "/accounts/{id}/events", "/events?after=N", "as_of")
}
