package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"github.com/go-es-workshop/kit/internal/exercise"
	"github.com/go-es-workshop/kit/internal/web"
)

var testInfo = web.StageInfo{
	Number:   3,
	Slug:     "03-aggregates",
	Title:    "Aggregates",
	Features: []string{"an aggregate root"},
	Endpoints: []web.Endpoint{
		{Method: "GET", Path: "/healthz", Summary: "is it up", Curl: "curl $BASE/healthz"},
	},
}

// syncBuffer is a log sink the test can read while a server writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type deposit struct {
	Amount int64  `json:"amount"`
	Note   string `json:"note"`
}

// newServer is web.New with a health func that returns *healthErr, a log captured in
// the returned buffer, and a few test routes.
func newServer(t *testing.T, healthErr *error) (*echo.Echo, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	e := web.New(testInfo, func(context.Context) error { return *healthErr }, log)
	e.POST("/deposits", func(c echo.Context) error {
		var d deposit
		if err := web.DecodeJSON(c, &d); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, d)
	})
	e.POST("/close", func(c echo.Context) error {
		if err := web.DecodeEmptyBody(c); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})
	e.POST("/close-with-options", func(c echo.Context) error {
		var opts struct {
			Payout bool `json:"payout"`
		}
		if err := web.DecodeOptionalJSON(c, &opts); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, opts)
	})
	e.GET("/stretch", func(c echo.Context) error {
		return fmt.Errorf("transfer: %w", exercise.Stretch("1.3"))
	})
	e.GET("/todo", func(c echo.Context) error {
		return exercise.Todo("1.1")
	})
	e.GET("/whoami", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{
			"user":        web.UserID(c),
			"correlation": web.CorrelationID(c),
			"request":     web.RequestID(c),
		})
	})
	e.GET("/accounts/:id", func(c echo.Context) error {
		id, err := web.PathUUID(c, "id")
		if err != nil {
			return err
		}
		return c.String(http.StatusOK, id.String())
	})
	e.GET("/broken", func(c echo.Context) error {
		return errors.New("database password hunter2 rejected")
	})
	e.GET("/panics", func(c echo.Context) error {
		panic("boom")
	})
	return e, logs
}

func serve(e *echo.Echo, method, target, body string, header map[string]string) *httptest.ResponseRecorder {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

// requireProblem checks that rec is an application/problem+json answer with status and
// returns it.
func requireProblem(t *testing.T, rec *httptest.ResponseRecorder, status int) web.Problem {
	t.Helper()
	require.Equal(t, status, rec.Code, "body: %s", rec.Body)
	require.Equal(t, "application/problem+json", rec.Header().Get(echo.HeaderContentType))
	var p web.Problem
	dec := json.NewDecoder(rec.Body)
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&p))
	require.Equal(t, status, p.Status)
	require.NotEmpty(t, p.Title)
	require.NotEmpty(t, p.Detail)
	require.Equal(t, "about:blank", p.Type)
	return p
}

var jsonCT = map[string]string{echo.HeaderContentType: "application/json"}

func TestDecodeJSONAcceptsOneObject(t *testing.T) {
	var noErr error
	e, _ := newServer(t, &noErr)
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "application/merge-patch+json", "Application/JSON"} {
		t.Run(ct, func(t *testing.T) {
			rec := serve(e, http.MethodPost, "/deposits", `{"amount": 2500, "note": "rent"}`+"\n",
				map[string]string{echo.HeaderContentType: ct})
			require.Equal(t, http.StatusOK, rec.Code, "body: %s", rec.Body)
			require.JSONEq(t, `{"amount":2500,"note":"rent"}`, rec.Body.String())
		})
	}
}

func TestDecodeJSONRefusesBadBodies(t *testing.T) {
	var noErr error
	e, _ := newServer(t, &noErr)
	tooBig := `{"note":"` + strings.Repeat("a", web.MaxBodyBytes) + `"}`
	tests := []struct {
		name        string
		contentType string // "" sends none
		body        string
		status      int
		detail      []string // the problem's detail contains each
	}{
		{"no content type", "", `{"amount":1}`, http.StatusUnsupportedMediaType, []string{"application/json"}},
		{"text/plain", "text/plain", `{"amount":1}`, http.StatusUnsupportedMediaType, []string{`"text/plain"`}},
		{"form", "application/x-www-form-urlencoded", `amount=1`, http.StatusUnsupportedMediaType, []string{"not JSON"}},
		{"unparsable content type", "application/json; =", `{"amount":1}`, http.StatusUnsupportedMediaType, []string{"not JSON"}},
		{"over MaxBodyBytes", "application/json", tooBig, http.StatusRequestEntityTooLarge, []string{"larger than 65536 bytes"}},
		{"object then a large tail", "application/json", `{"amount":1}` + strings.Repeat(" ", web.MaxBodyBytes), http.StatusRequestEntityTooLarge, []string{"larger than"}},
		{"empty body", "application/json", "", http.StatusBadRequest, []string{"empty"}},
		{"malformed", "application/json", `{"amount": 1,}`, http.StatusBadRequest, []string{"malformed JSON"}},
		{"cut off", "application/json", `{"amount": 1`, http.StatusBadRequest, []string{"cut off"}},
		{"unknown field", "application/json", `{"amount": 1, "amout": 2}`, http.StatusBadRequest, []string{`"amout"`, "not part of this command"}},
		{"two objects", "application/json", `{"amount": 1}{"amount": 2}`, http.StatusBadRequest, []string{"exactly one JSON object"}},
		{"trailing garbage", "application/json", `{"amount": 1} x`, http.StatusBadRequest, []string{"exactly one JSON object"}},
		{"fraction into int64", "application/json", `{"amount": 12.5}`, http.StatusBadRequest, []string{`"amount"`, "whole number", "12.5"}},
		{"exponent into int64", "application/json", `{"amount": 1e3}`, http.StatusBadRequest, []string{`"amount"`, "whole number"}},
		{"string into int64", "application/json", `{"amount": "10"}`, http.StatusBadRequest, []string{`"amount"`}},
		{"number into string", "application/json", `{"note": 5}`, http.StatusBadRequest, []string{`"note"`, "a string"}},
		{"array instead of object", "application/json", `[1,2]`, http.StatusBadRequest, []string{"JSON object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			if tt.contentType != "" {
				h[echo.HeaderContentType] = tt.contentType
			}
			p := requireProblem(t, serve(e, http.MethodPost, "/deposits", tt.body, h), tt.status)
			for _, want := range tt.detail {
				require.Contains(t, p.Detail, want)
			}
			require.Less(t, len(p.Detail), 500, "the detail does not echo the body")
		})
	}
}

func TestDecodeJSONAcceptsExactlyMaxBodyBytes(t *testing.T) {
	var noErr error
	e, _ := newServer(t, &noErr)
	prefix, suffix := `{"note":"`, `"}`
	body := prefix + strings.Repeat("a", web.MaxBodyBytes-len(prefix)-len(suffix)) + suffix
	require.Len(t, body, web.MaxBodyBytes)
	rec := serve(e, http.MethodPost, "/deposits", body, jsonCT)
	require.Equal(t, http.StatusOK, rec.Code)
}

func TestCorrelationAndUserIDs(t *testing.T) {
	var noErr error
	e, _ := newServer(t, &noErr)

	t.Run("given ids are echoed and used", func(t *testing.T) {
		rec := serve(e, http.MethodGet, "/whoami", "", map[string]string{
			web.HeaderCorrelationID: "order-42:retry.1@shop",
			web.HeaderUserID:        "ada",
		})
		require.Equal(t, http.StatusOK, rec.Code)
		require.Equal(t, "order-42:retry.1@shop", rec.Header().Get(web.HeaderCorrelationID))
		requestID := rec.Header().Get(web.HeaderRequestID)
		id, err := uuid.Parse(requestID)
		require.NoError(t, err)
		require.Equal(t, uuid.Version(7), id.Version())
		var got map[string]string
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
		require.Equal(t, map[string]string{"user": "ada", "correlation": "order-42:retry.1@shop", "request": requestID}, got)
	})

	t.Run("absent ids default", func(t *testing.T) {
		rec := serve(e, http.MethodGet, "/whoami", "", nil)
		require.Equal(t, http.StatusOK, rec.Code)
		requestID := rec.Header().Get(web.HeaderRequestID)
		require.NotEmpty(t, requestID)
		require.Equal(t, requestID, rec.Header().Get(web.HeaderCorrelationID))
		var got map[string]string
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
		require.Equal(t, map[string]string{"user": web.AnonymousUser, "correlation": requestID, "request": requestID}, got)
	})

	t.Run("every request gets its own id", func(t *testing.T) {
		a := serve(e, http.MethodGet, "/whoami", "", nil).Header().Get(web.HeaderRequestID)
		b := serve(e, http.MethodGet, "/whoami", "", nil).Header().Get(web.HeaderRequestID)
		require.NotEqual(t, a, b)
	})

	t.Run("128 characters is the longest id", func(t *testing.T) {
		long := strings.Repeat("a", 128)
		rec := serve(e, http.MethodGet, "/whoami", "", map[string]string{web.HeaderCorrelationID: long, web.HeaderUserID: long})
		require.Equal(t, http.StatusOK, rec.Code)
		require.Equal(t, long, rec.Header().Get(web.HeaderCorrelationID))
	})

	for _, tt := range []struct{ name, header, value string }{
		{"correlation id with spaces", web.HeaderCorrelationID, "my trace id"},
		{"correlation id over 128 characters", web.HeaderCorrelationID, strings.Repeat("a", 129)},
		{"correlation id with a percent sign", web.HeaderCorrelationID, "a%0Ab"},
		{"user id with spaces", web.HeaderUserID, "Ada Lovelace"},
		{"user id over 128 characters", web.HeaderUserID, strings.Repeat("u", 129)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(e, http.MethodGet, "/whoami", "", map[string]string{tt.header: tt.value})
			p := requireProblem(t, rec, http.StatusBadRequest)
			require.Contains(t, p.Detail, tt.header)
			require.NotEmpty(t, rec.Header().Get(web.HeaderRequestID))
			require.NotEqual(t, tt.value, rec.Header().Get(web.HeaderCorrelationID), "a malformed id is never echoed")
		})
	}
}

func TestHealthz(t *testing.T) {
	var healthErr error
	e, logs := newServer(t, &healthErr)

	rec := serve(e, http.MethodGet, "/healthz", "", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.JSONEq(t, `{"status":"ok"}`, rec.Body.String())

	healthErr = errors.New("disk I/O error on /secret/path.db")
	p := requireProblem(t, serve(e, http.MethodGet, "/healthz", "", nil), http.StatusServiceUnavailable)
	require.NotContains(t, p.Detail, "/secret/path.db")
	require.Contains(t, logs.String(), "/secret/path.db", "the log has the cause")
}

func TestHealthzGetsADeadline(t *testing.T) {
	var deadline time.Time
	var ok bool
	e := web.New(testInfo, func(ctx context.Context) error {
		deadline, ok = ctx.Deadline()
		return nil
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	start := time.Now()
	require.Equal(t, http.StatusOK, serve(e, http.MethodGet, "/healthz", "", nil).Code)
	require.True(t, ok, "a health check that hangs must not hang the request")
	require.WithinDuration(t, start, deadline, 10*time.Second)
}

func TestStageAndIndex(t *testing.T) {
	var noErr error
	e, _ := newServer(t, &noErr)

	rec := serve(e, http.MethodGet, "/stage", "", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	var info web.StageInfo
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &info))
	require.Equal(t, testInfo, info)

	rec = serve(e, http.MethodGet, "/", "", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, echo.MIMETextHTMLCharsetUTF8, rec.Header().Get(echo.HeaderContentType))
	body := rec.Body.String()
	require.Contains(t, body, "Stage 3 · Aggregates")
	require.Contains(t, body, "curl http://example.com/healthz", "$BASE is the address the page was asked on")
}

func TestErrorsAreProblems(t *testing.T) {
	var noErr error
	e, logs := newServer(t, &noErr)

	t.Run("unknown route", func(t *testing.T) {
		p := requireProblem(t, serve(e, http.MethodGet, "/nope", "", nil), http.StatusNotFound)
		require.Contains(t, p.Detail, "GET /")
	})

	t.Run("wrong method", func(t *testing.T) {
		requireProblem(t, serve(e, http.MethodDelete, "/stage", "", nil), http.StatusMethodNotAllowed)
	})

	t.Run("plain error is a 500 without internals", func(t *testing.T) {
		rec := serve(e, http.MethodGet, "/broken", "", map[string]string{web.HeaderCorrelationID: "trace-500"})
		body := rec.Body.String()
		p := requireProblem(t, rec, http.StatusInternalServerError)
		require.NotContains(t, body, "hunter2")
		require.NotContains(t, p.Detail, "database")
		require.Contains(t, logs.String(), "hunter2", "the log has the error")
		require.Contains(t, logs.String(), "trace-500", "the log names the correlation id")
	})

	t.Run("panic is a 500 and the server lives on", func(t *testing.T) {
		requireProblem(t, serve(e, http.MethodGet, "/panics", "", nil), http.StatusInternalServerError)
		require.Equal(t, http.StatusOK, serve(e, http.MethodGet, "/healthz", "", nil).Code)
	})

	t.Run("HEAD gets the status without a body", func(t *testing.T) {
		rec := serve(e, http.MethodHead, "/nope", "", nil)
		require.Equal(t, http.StatusNotFound, rec.Code)
		require.Zero(t, rec.Body.Len())
	})
}

func TestPathUUID(t *testing.T) {
	var noErr error
	e, _ := newServer(t, &noErr)
	id := uuid.MustParse("0190c6a8-7d3e-7a1b-9c2d-3e4f5a6b7c8d")

	rec := serve(e, http.MethodGet, "/accounts/"+id.String(), "", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, id.String(), rec.Body.String())

	rec = serve(e, http.MethodGet, "/accounts/"+strings.ToUpper(id.String()), "", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, id.String(), rec.Body.String())

	for _, bad := range []string{
		"nope",
		"0190c6a8-7d3e-7a1b-9c2d-3e4f5a6b7c8",           // one digit short
		"0190c6a87d3e7a1b9c2d3e4f5a6b7c8d",              // no dashes: uuid.Parse takes it, the API does not
		"urn:uuid:0190c6a8-7d3e-7a1b-9c2d-3e4f5a6b7c8d", // URN form
		"%7B0190c6a8-7d3e-7a1b-9c2d-3e4f5a6b7c8d%7D",    // {braced}
		"0190c6a8-7d3e-7a1b-9c2d-3e4f5a6b7c8x",          // not hex
	} {
		p := requireProblem(t, serve(e, http.MethodGet, "/accounts/"+bad, "", nil), http.StatusBadRequest)
		require.Contains(t, p.Detail, "id ", bad)
		require.Contains(t, p.Detail, "is not a UUID", bad)
	}
}

func TestFields(t *testing.T) {
	require.NoError(t, web.Fields())
	err := web.Fields("owner is required", "amount must be positive")
	var p *web.Problem
	require.ErrorAs(t, err, &p)
	require.Equal(t, http.StatusBadRequest, p.Status)
	require.Equal(t, "owner is required; amount must be positive", p.Detail)
}

func TestProblemTitles(t *testing.T) {
	require.Equal(t, "Stale version", web.NewProblem(http.StatusPreconditionFailed, "x").Title)
	require.Equal(t, "Business rule violated", web.NewProblem(http.StatusUnprocessableEntity, "x").Title)
	require.Equal(t, "Service Unavailable", web.NewProblem(http.StatusServiceUnavailable, "x").Title)
	require.Equal(t, "404 Not found: no account 7", web.Problemf(http.StatusNotFound, "no account %d", 7).Error())
}

// waitFor bounds every wait in the Serve tests: a hang fails the test instead of the run.
const waitFor = 10 * time.Second

func TestServeStopsCleanly(t *testing.T) {
	var noErr error
	e, _ := newServer(t, &noErr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- web.Serve(ctx, e, "127.0.0.1:0", func(a net.Addr) { addrs <- a }) }()

	var addr net.Addr
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("Serve returned before it was ready: %v", err)
	case <-time.After(waitFor):
		t.Fatal("Serve never called ready")
	}
	tcp, ok := addr.(*net.TCPAddr)
	require.True(t, ok)
	require.True(t, tcp.IP.IsLoopback())
	require.NotZero(t, tcp.Port)

	client := &http.Client{Timeout: waitFor}
	resp, err := client.Get("http://" + addr.String() + "/healthz")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.JSONEq(t, `{"status":"ok"}`, string(body))

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err, "a cancelled context is a clean stop, not an error")
	case <-time.After(waitFor):
		t.Fatal("Serve did not return after its context was cancelled")
	}

	_, err = client.Get("http://" + addr.String() + "/healthz")
	require.Error(t, err, "the server no longer listens")
}

func TestServeFinishesRequestsInFlight(t *testing.T) {
	var noErr error
	e, _ := newServer(t, &noErr)
	started, release := make(chan struct{}), make(chan struct{})
	e.GET("/slow", func(c echo.Context) error {
		close(started)
		<-release
		return c.String(http.StatusOK, "done")
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- web.Serve(ctx, e, "127.0.0.1:0", func(a net.Addr) { addrs <- a }) }()
	addr := <-addrs

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := (&http.Client{Timeout: waitFor}).Get("http://" + addr.String() + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()
	select {
	case <-started:
	case <-time.After(waitFor):
		t.Fatal("the request never reached the handler")
	}

	cancel()
	// Wait until the stop has begun: the listener is closed, so a new connection is refused.
	for deadline := time.Now().Add(waitFor); ; {
		conn, err := net.DialTimeout("tcp", addr.String(), waitFor)
		if err != nil {
			break
		}
		require.NoError(t, conn.Close())
		require.True(t, time.Now().Before(deadline), "the listener was never closed")
	}
	select {
	case err := <-done:
		t.Fatalf("Serve returned (%v) while a request was in flight", err)
	default:
	}
	close(release)

	select {
	case r := <-got:
		require.NoError(t, r.err)
		require.Equal(t, "done", r.body)
	case <-time.After(waitFor):
		t.Fatal("the in-flight request never finished")
	}
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(waitFor):
		t.Fatal("Serve did not return")
	}
}

func TestServeAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()

	var noErr error
	e, _ := newServer(t, &noErr)
	called := false
	err = web.Serve(context.Background(), e, ln.Addr().String(), func(net.Addr) { called = true })
	require.ErrorContains(t, err, "is another server running?")
	require.False(t, called)
}

func TestDecodeEmptyBodyTakesNothingOrAnEmptyObject(t *testing.T) {
	var noErr error
	e, _ := newServer(t, &noErr)
	require.Equal(t, http.StatusNoContent, serve(e, http.MethodPost, "/close", "", nil).Code, "no body")
	require.Equal(t, http.StatusNoContent, serve(e, http.MethodPost, "/close", "{}", jsonCT).Code, "{}")
	requireProblem(t, serve(e, http.MethodPost, "/close", `{"reason":"x"}`, jsonCT), http.StatusBadRequest)
	requireProblem(t, serve(e, http.MethodPost, "/close", "now", map[string]string{echo.HeaderContentType: "text/plain"}), http.StatusUnsupportedMediaType)
	requireProblem(t, serve(e, http.MethodPost, "/close", "now", nil), http.StatusUnsupportedMediaType)
}

func TestDecodeOptionalJSONTakesNothingOrAStrictObject(t *testing.T) {
	var noErr error
	e, _ := newServer(t, &noErr)
	for body, want := range map[string]string{"": `{"payout":false}`, "{}": `{"payout":false}`, `{"payout":true}`: `{"payout":true}`} {
		rec := serve(e, http.MethodPost, "/close-with-options", body, jsonCT)
		require.Equal(t, http.StatusOK, rec.Code, "body %q", body)
		require.JSONEq(t, want, rec.Body.String(), "body %q", body)
	}
	for _, body := range []string{`{"payout":"yes"}`, `{"Payout":true}`, `{"payout":true,"payout":false}`, `{"reason":"x"}`, `{`} {
		requireProblem(t, serve(e, http.MethodPost, "/close-with-options", body, jsonCT), http.StatusBadRequest)
	}
	requireProblem(t, serve(e, http.MethodPost, "/close-with-options", `{"payout":true}`, nil), http.StatusUnsupportedMediaType)
}

func TestAStretchStubAnswers501AndATodo500(t *testing.T) {
	var noErr error
	e, logs := newServer(t, &noErr)
	p := requireProblem(t, serve(e, http.MethodGet, "/stretch", "", nil), http.StatusNotImplemented)
	require.Equal(t, "Not built yet", p.Title)
	require.Contains(t, p.Detail, "stretch task 1.3 is not done yet")
	require.Contains(t, p.Detail, "make hint TASK=1.3")
	require.Contains(t, logs.String(), "stretch task 1.3 is not done yet", "the log names the task too")
	p = requireProblem(t, serve(e, http.MethodGet, "/todo", "", nil), http.StatusInternalServerError)
	require.NotContains(t, p.Detail, "1.1", "a required task's stub stays a 500, its message in the log only")
}

func TestDecodeJSONWantsExactKeysOnce(t *testing.T) {
	var noErr error
	e, _ := newServer(t, &noErr)
	for name, body := range map[string]string{
		"wrong case": `{"AMOUNT": 5}`,
		"twice":      `{"amount": 5, "amount": 7}`,
	} {
		t.Run(name, func(t *testing.T) {
			requireProblem(t, serve(e, http.MethodPost, "/deposits", body, jsonCT), http.StatusBadRequest)
		})
	}
}

func TestACancelledRequestIsNoServerError(t *testing.T) {
	var noErr error
	e, logs := newServer(t, &noErr)
	e.GET("/slow", func(c echo.Context) error { return c.Request().Context().Err() })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/slow", nil)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	require.Equal(t, 499, rec.Code)
	require.NotContains(t, logs.String(), "level=ERROR")
}

func TestEveryRequestIsLoggedOnce(t *testing.T) {
	var noErr error
	for _, tt := range []struct {
		name, method, target string
		header               map[string]string
		want                 []string
	}{
		{"a success", http.MethodGet, "/stage", map[string]string{web.HeaderCorrelationID: "trace-7"},
			[]string{"level=INFO", "method=GET", "path=/stage", "status=200", "correlation_id=trace-7"}},
		{"a problem", http.MethodGet, "/accounts/42", map[string]string{web.HeaderCorrelationID: "trace-8"},
			[]string{"level=INFO", "path=/accounts/42", "status=400", "correlation_id=trace-8"}},
		{"no such route", http.MethodPost, "/nowhere", nil,
			[]string{"level=INFO", "method=POST", "path=/nowhere", "status=404", "correlation_id="}},
		{"a plain error", http.MethodGet, "/broken", nil,
			[]string{"level=WARN", "path=/broken", "status=500"}},
		{"a panic", http.MethodGet, "/panics", nil,
			[]string{"level=WARN", "path=/panics", "status=500"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, logs := newServer(t, &noErr)
			rec := serve(e, tt.method, tt.target, "", tt.header)
			var lines []string
			for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				if strings.Contains(line, "msg=request ") {
					lines = append(lines, line)
				}
			}
			require.Len(t, lines, 1, "one request line:\n%s", logs.String())
			for _, want := range append(tt.want, "duration=") {
				require.Contains(t, lines[0], want)
			}
			require.Contains(t, lines[0], "correlation_id="+rec.Header().Get(web.HeaderCorrelationID))
		})
	}
}
