package cqrs_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
)

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
	spec.Guard(t, stage, "stage.go and internal/web (index page)", "GET /, /stage and /healthz describe the stage").
		CheckStagePages(api, 4, "Idempotency-Key", "min_position", "read model", "write model", "/projections")
}

func TestGuard_AnIdleBankWaitsWithoutBurningTheCPU(t *testing.T) {
	c := spec.Guard(t, stage, "projector.go (follow)", "with nothing to do, the projections sleep until an append or their poll wakes them")
	newAPI(t)
	c.Doing("a bank with nothing to do, for a second")
	c.CheckIdle(time.Second, "the bank's projections")
}
