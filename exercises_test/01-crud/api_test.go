package crud_test

import (
	"net/http"
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
	return spec.StartAPI(t, bank.NewServer)
}

// account reads an account back.
func account(c *spec.Check, api *spec.API, id string) spec.Response {
	r := api.Get("/accounts/" + id)
	c.Status(r, http.StatusOK)
	return r
}
