package bank

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/go-es-workshop/kit/internal/web"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// message wraps a command for the pipeline: its id is the client's
// Idempotency-Key when it sent one, else the request's own id (X-Request-ID).
func message[C Command](c echo.Context, key string, cmd C) Message[C] {
	msg := Message[C]{Command: cmd, ID: web.RequestID(c), Metadata: metadataFor(c)}
	if key != "" {
		msg.ID, msg.Keyed = key, true
	}
	return msg
}

// idempotencyKey is what an Idempotency-Key may hold: 1 to 128 letters, digits
// or . _ : @ - (a UUID, say), like a correlation id. The IETF draft writes the
// key as a quoted string ("8e03978e-..."); the bare form is as common. Both
// forms name the same key.
var idempotencyKey = regexp.MustCompile(`^(?:"([A-Za-z0-9._:@-]{1,128})"|([A-Za-z0-9._:@-]{1,128}))$`)

// readIdempotencyKey reads the Idempotency-Key header of a command: "" when
// absent. A malformed key, or two of them, is a 400, never silently ignored: the
// client relies on it to retry safely.
func readIdempotencyKey(c echo.Context) (string, error) {
	values := c.Request().Header.Values("Idempotency-Key")
	if len(values) == 0 {
		return "", nil
	}
	m := idempotencyKey.FindStringSubmatch(values[0])
	if len(values) > 1 || m == nil {
		return "", web.Problemf(http.StatusBadRequest,
			`send one Idempotency-Key of 1-128 letters, digits or . _ : @ - (a UUID, say), bare or in double quotes; got %q`, strings.Join(values, ", "))
	}
	return m[1] + m[2], nil
}

// moneyCommandFields are what a deposit and a withdrawal read from a request.
type moneyCommandFields struct {
	id        uuid.UUID
	amount    int64
	reference string
	ifMatch   Precondition
}

// moneyCommand reads a deposit or a withdrawal, makes it a command with newCommand,
// and runs it with handle.
func moneyCommand[C Command](c echo.Context, handle Handler[C], newCommand func(moneyCommandFields) C) error {
	var f moneyCommandFields
	var err error
	if f.id, err = web.PathUUID(c, "id"); err != nil {
		return err
	}
	if f.ifMatch, err = readIfMatch(c); err != nil {
		return err
	}
	key, err := readIdempotencyKey(c)
	if err != nil {
		return err
	}
	var req moneyRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	if f.amount, err = req.amount(); err != nil {
		return err
	}
	f.reference = req.Reference
	res, err := handle(c.Request().Context(), message(c, key, newCommand(f)))
	if err != nil {
		return problemFor(err)
	}
	return respondCommand(c, http.StatusOK, res)
}

func (a *api) close(c echo.Context) error {
	return accountCommand(c, a.app.Commands.CloseAccount, func(id uuid.UUID, ifMatch Precondition) CloseAccount {
		return CloseAccount{AccountID: id, IfMatch: ifMatch}
	})
}

func (a *api) forget(c echo.Context) error {
	return accountCommand(c, a.app.Commands.ForgetPersonalData, func(id uuid.UUID, ifMatch Precondition) ForgetPersonalData {
		return ForgetPersonalData{AccountID: id, IfMatch: ifMatch}
	})
}

// accountCommand runs a command that has no body: the account's id from the
// path, and the If-Match and Idempotency-Key headers.
func accountCommand[C Command](c echo.Context, handle Handler[C], command func(uuid.UUID, Precondition) C) error {
	id, err := web.PathUUID(c, "id")
	if err != nil {
		return err
	}
	if err := web.DecodeEmptyBody(c); err != nil {
		return err
	}
	ifMatch, err := readIfMatch(c)
	if err != nil {
		return err
	}
	key, err := readIdempotencyKey(c)
	if err != nil {
		return err
	}
	res, err := handle(c.Request().Context(), message(c, key, command(id, ifMatch)))
	if err != nil {
		return problemFor(err)
	}
	return respondCommand(c, http.StatusOK, res)
}
