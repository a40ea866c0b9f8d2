package crud_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/01-crud"
)

// stage is the folder these tests check: stages/01-crud.
const stage = "01-crud"

// newAPI starts stage 1's server on a fresh database, in process.
func newAPI(t *testing.T) *spec.API {
	api, _ := newAPIWithDB(t)
	return api
}

// newAPIWithDB is newAPI that also hands back the database, to look behind the API.
func newAPIWithDB(t *testing.T) (*spec.API, *sqlitedb.DB) {
	t.Helper()
	db := spec.OpenDB(t)
	log, serverLog := spec.NewServerLog()
	e, err := bank.NewServer(context.Background(), db, log)
	if err != nil {
		t.Fatalf("starting the stage 1 server: %v", err)
	}
	return spec.NewAPI(e, serverLog), db
}

// openAccount opens an account and returns its id.
func openAccount(c *spec.Check, api *spec.API, kind string, overdraft int64) string {
	r := api.Post("/accounts", map[string]any{"owner": "Ada Lovelace", "kind": kind, "currency": "EUR", "overdraft_limit": overdraft})
	c.Status(r, http.StatusCreated)
	return r.String("id")
}

// account reads an account back.
func account(c *spec.Check, api *spec.API, id string) spec.Response {
	r := api.Get("/accounts/" + id)
	c.Status(r, http.StatusOK)
	return r
}

// concurrently sends n copies of one request at once and counts the statuses.
func concurrently(api *spec.API, n int, path string, body any) map[int]int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			r := api.Post(path, body)
			mu.Lock()
			statuses[r.Status]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return statuses
}

func describeStatuses(m map[int]int) string {
	return fmt.Sprintf("%d × 200 OK, %d × 422, %d × 500, others %d", m[200], m[422], m[500], total(m)-m[200]-m[422]-m[500])
}

func total(m map[int]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
