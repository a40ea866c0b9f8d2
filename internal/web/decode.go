package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// MaxBodyBytes caps a request body. Commands are tiny; anything larger is a mistake or abuse.
const MaxBodyBytes = 64 << 10

// DecodeJSON reads the request body into dst, strictly: the content type must be JSON,
// the body one JSON object of at most MaxBodyBytes, with no unknown fields and no
// trailing data. Every failure is a *Problem (400, 413 or 415) that says what is wrong,
// so a handler can return it as it is.
func DecodeJSON(c echo.Context, dst any) error {
	if err := requireJSON(c.Request()); err != nil {
		return err
	}
	raw, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, MaxBodyBytes))
	if err != nil {
		return decodeProblem(err)
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return decodeProblem(io.EOF)
	}
	if trimmed[0] != '{' {
		return NewProblem(http.StatusBadRequest, "the body must be a JSON object")
	}
	if err := checkKeys(trimmed, dst); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return NewProblem(http.StatusBadRequest, "the body must hold exactly one JSON object")
	}
	return nil
}

// DecodeEmptyBody accepts a command that carries no data: no body at all, or the
// JSON object {}. Anything else is refused like a malformed body, so a command
// sent with the wrong payload does nothing rather than being carried out anyway.
func DecodeEmptyBody(c echo.Context) error {
	var none struct{}
	return DecodeOptionalJSON(c, &none)
}

// DecodeOptionalJSON is DecodeJSON for a command whose body may be left out: no
// body at all leaves dst as it is (its zero value: the command's defaults); any
// body is decoded as strictly as DecodeJSON does.
func DecodeOptionalJSON(c echo.Context, dst any) error {
	r := c.Request()
	if r.ContentLength == 0 && len(r.TransferEncoding) == 0 {
		return nil
	}
	return DecodeJSON(c, dst)
}

// checkKeys refuses top-level keys that are not spelled exactly like a json tag of
// dst, or that appear twice. encoding/json alone would take "AMOUNT" for "amount"
// and let the last of two "amount" keys win, silently.
func checkKeys(body []byte, dst any) error {
	allowed := map[string]bool{}
	if t := reflect.TypeOf(dst); t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct {
		for f := range t.Elem().Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			allowed[name] = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	_, _ = dec.Token() // the opening brace
	seen := map[string]bool{}
	for dec.More() {
		token, err := dec.Token()
		if err != nil {
			return decodeProblem(err)
		}
		key, _ := token.(string)
		switch {
		case seen[key]:
			return Problemf(http.StatusBadRequest, "field %q appears twice", key)
		case !allowed[key]:
			return Problemf(http.StatusBadRequest, "unknown field %q is not part of this command (names are case-sensitive)", key)
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return decodeProblem(err)
		}
	}
	return nil
}

func requireJSON(r *http.Request) error {
	ct := r.Header.Get(echo.HeaderContentType)
	if ct == "" {
		return NewProblem(http.StatusUnsupportedMediaType, "send the body as JSON with Content-Type: application/json")
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return Problemf(http.StatusUnsupportedMediaType, "Content-Type %q is not JSON; use application/json", ct)
	}
	return nil
}

func decodeProblem(err error) *Problem {
	var (
		syntax   *json.SyntaxError
		typeErr  *json.UnmarshalTypeError
		tooLarge *http.MaxBytesError
	)
	switch {
	case errors.As(err, &tooLarge):
		return Problemf(http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", MaxBodyBytes)
	case errors.Is(err, io.EOF):
		return NewProblem(http.StatusBadRequest, "the body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return NewProblem(http.StatusBadRequest, "the body is cut off: malformed JSON")
	case errors.As(err, &syntax):
		return Problemf(http.StatusBadRequest, "malformed JSON at byte %d: %v", syntax.Offset, err)
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return Problemf(http.StatusBadRequest, "the body must be a JSON object, not a %s", typeErr.Value)
		}
		return Problemf(http.StatusBadRequest, "field %q must be %s, got %s", typeErr.Field, describe(typeErr), typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return Problemf(http.StatusBadRequest, "%s is not part of this command", strings.TrimPrefix(err.Error(), "json: "))
	default:
		return Problemf(http.StatusBadRequest, "malformed JSON: %v", err)
	}
}

// describe names the expected JSON type in a learner's words. Integer fields get a
// reminder about money: fractions and exponents are refused, not rounded.
func describe(e *json.UnmarshalTypeError) string {
	switch e.Type.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number in range (money is integer minor units, e.g. cents)"
	case reflect.String:
		return "a string"
	default:
		return "a " + e.Type.String()
	}
}

// PathUUID parses the path parameter name as a UUID; anything else is a 400.
func PathUUID(c echo.Context, name string) (uuid.UUID, error) {
	raw := c.Param(name)
	id, err := uuid.Parse(raw)
	if err != nil || len(raw) != 36 {
		return uuid.Nil, Problemf(http.StatusBadRequest, "%s %q is not a UUID like 0190c6a8-7d3e-7a1b-9c2d-3e4f5a6b7c8d", name, raw)
	}
	return id, nil
}

// Fields reports a validation failure on named fields as one 400 problem.
func Fields(problems ...string) error {
	if len(problems) == 0 {
		return nil
	}
	return NewProblem(http.StatusBadRequest, strings.Join(problems, "; "))
}
