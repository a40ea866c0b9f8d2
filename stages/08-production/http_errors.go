package bank

import (
	"errors"
	"net/http"

	"github.com/go-es-workshop/kit/internal/web"
)

// problemFor maps the bank's errors to HTTP problems. Anything not listed is
// unexpected and becomes a 500 (the error handler logs it).
func problemFor(err error) error {
	var invalid *ValidationError
	var policy *PolicyError
	switch {
	case errors.As(err, &invalid):
		return web.NewProblem(http.StatusBadRequest, invalid.Error())
	case errors.As(err, &policy):
		return web.NewProblem(http.StatusUnprocessableEntity, policy.Error())
	case errors.Is(err, ErrConcurrency):
		return web.NewProblem(http.StatusConflict, err.Error()+"; read the account again and retry")
	case errors.Is(err, ErrStaleVersion):
		return web.NewProblem(http.StatusPreconditionFailed, err.Error()+`; GET the account for its current ETag and send that exact tag (If-Match compares strongly: W/"..." never matches)`)
	case errors.Is(err, ErrIdempotencyKeyReused):
		return web.NewProblem(http.StatusUnprocessableEntity, err.Error()+"; a retry must send the same request, and a new request a new key")
	case errors.Is(err, ErrAccountNotFound):
		return web.NewProblem(http.StatusNotFound, err.Error())
	case errors.Is(err, ErrAccountClosed),
		errors.Is(err, ErrInsufficientFunds),
		errors.Is(err, ErrBalanceNotZero),
		errors.Is(err, ErrBalanceLimit):
		return web.NewProblem(http.StatusUnprocessableEntity, err.Error())
	default:
		return err
	}
}
