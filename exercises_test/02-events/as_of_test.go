package events_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	bank "github.com/go-es-workshop/kit/stages/02-events"
)

// Task 2.5 (stretch): the balance as of a past time.

// at parses an RFC 3339 time of a test's history.
func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err) // a bug in the test itself
	}
	return t
}

// recorded is one event of a history and when the store recorded it.
type recorded struct {
	at    string
	event bank.Event
}

// timedHistory wraps events as Ada's stream, versions 1, 2, 3..., each with its
// recorded time.
func timedHistory(events ...recorded) []bank.Envelope {
	out := make([]bank.Envelope, len(events))
	for i, e := range events {
		out[i] = bank.Envelope{StreamID: "account-" + adaID, Version: int64(i + 1), Position: int64(i + 1), RecordedAt: at(e.at), Event: e.event}
	}
	return out
}

func describeHistory(history []bank.Envelope) string {
	lines := make([]string, len(history))
	for i, e := range history {
		lines[i] = fmt.Sprintf("version %d, recorded at %s: %T%+v", e.Version, e.RecordedAt.Format(time.RFC3339Nano), e.Event, e.Event)
	}
	// Lined up under the text of a failure's "Doing:" line.
	return strings.ReplaceAll(strings.Join(lines, "\n            "), "bank.", "")
}

// adaDay is Ada's account on 1 March 2026: opened at 9, paid at half a second past 10.
var adaDay = timedHistory(
	recorded{"2026-03-01T09:00:00Z", adaOpened},
	recorded{"2026-03-01T10:00:00.5Z", bank.MoneyDeposited{Amount: 5000, Reference: "salary March"}},
	recorded{"2026-03-01T11:00:00Z", bank.MoneyWithdrawn{Amount: 2000, Reference: "rent"}},
	recorded{"2026-03-01T12:00:00Z", bank.MoneyWithdrawn{Amount: 960}},
)

func Test2_5_TheBalanceAsOfATimeFoldsWhatWasRecordedByThen(t *testing.T) {
	c := spec.For(t, stage)
	for _, tc := range []struct {
		asOf             string
		balance, version int64
		why              string
	}{
		{"2026-03-01T09:00:00Z", 0, 1, "the moment it was opened: an event recorded exactly then counts"},
		{"2026-03-01T10:00:00Z", 0, 1, "half a second before the salary (as text, ...10:00:00.5Z sorts before ...10:00:00Z: compare times, not strings)"},
		{"2026-03-01T10:00:00.5Z", 5000, 2, "the moment the salary was recorded"},
		{"2026-03-01T11:00:00.2+01:00", 0, 1, "10:00:00.2 in UTC, written at UTC+1: before the salary"},
		{"2026-03-01T11:30:00Z", 3000, 3, "after the rent, before the last withdrawal"},
		{"2026-03-01T12:00:00Z", 2040, 4, "the last event"},
		{"2099-01-01T00:00:00Z", 2040, 4, "a time in the future: everything recorded so far"},
	} {
		c.Doing("ReplayAsOf(%s): %s; the history:\n            %s", tc.asOf, tc.why, describeHistory(adaDay))
		got, err := bank.ReplayAsOf(adaDay, at(tc.asOf))
		c.NoError(err, "ReplayAsOf")
		c.That(got.Balance == tc.balance && got.Version == tc.version && got.Owner == "Ada Lovelace",
			fmt.Sprintf("Ada's account at balance %d, version %d", tc.balance, tc.version), describeAccount(got))
	}
}

func Test2_5_BeforeTheAccountWasOpenedItWasNotOpenYet(t *testing.T) {
	c := spec.For(t, stage)
	c.Doing("ReplayAsOf(one nanosecond before the account was opened); the history:\n            %s", describeHistory(adaDay))
	_, err := bank.ReplayAsOf(adaDay, at("2026-03-01T08:59:59.999999999Z"))
	c.ErrorIs(err, bank.ErrNotOpenYet, "an error wrapping ErrNotOpenYet: nothing was recorded yet")
}

func Test2_5_TheAccountAsOfATimeIsAPrefixOfItsStream(t *testing.T) {
	c := spec.For(t, stage)
	// The server's clock stepped back a second between versions 2 and 3 (NTP does
	// that): version 3 carries an earlier time than version 2.
	stepped := timedHistory(
		recorded{"2026-03-01T09:00:00Z", adaOpened},
		recorded{"2026-03-01T10:00:02Z", bank.MoneyDeposited{Amount: 5000}},
		recorded{"2026-03-01T10:00:01Z", bank.MoneyWithdrawn{Amount: 5000}},
	)
	c.Doing("ReplayAsOf(10:00:01.5) over a stream whose clock stepped back:\n            %s", describeHistory(stepped))
	got, err := bank.ReplayAsOf(stepped, at("2026-03-01T10:00:01.5Z"))
	c.NoError(err, "ReplayAsOf")
	c.That(got.Balance == 0 && got.Version == 1, "the account at version 1, balance 0: the fold stops at version 2, the first event recorded later",
		describeAccount(got)+"\nVersion 3 was decided on the state after version 2: applying it without version 2 builds a balance that never existed.")
}

func Test2_5_GETAnAccountAsOfEachOfItsRecordedTimes(t *testing.T) {
	c := spec.For(t, stage)
	api, _ := newAPI(t)
	r := api.Post("/accounts", map[string]any{"owner": "Ada Lovelace", "kind": "checking", "currency": "EUR", "overdraft_limit": 10000})
	c.Status(r, http.StatusCreated)
	id := r.String("id")
	c.Status(api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 5000, "reference": "salary March"}), http.StatusOK)
	c.Status(api.Post("/accounts/"+id+"/withdrawals", map[string]any{"amount": 2000, "reference": "rent"}), http.StatusOK)
	c.Doing("read the account's stream")
	var stream struct {
		Events []struct {
			Version    int64     `json:"version"`
			RecordedAt time.Time `json:"recorded_at"`
		} `json:"events"`
	}
	c.NoError(api.Get("/accounts/"+id+"/events").Decode(&stream), "decoding the stream")
	c.Equal(3, len(stream.Events), "events in the stream")

	asOf := func(t time.Time) spec.Response {
		return api.Get("/accounts/" + id + "?as_of=" + url.QueryEscape(t.Format(time.RFC3339Nano)))
	}
	balances := []int64{0, 5000, 3000}
	for i, e := range stream.Events {
		c.Doing("GET /accounts/{id}?as_of=<the recorded_at of version %d>", e.Version)
		r := asOf(e.RecordedAt)
		c.Status(r, http.StatusOK)
		c.That(r.Int("balance") == balances[i] && r.Int("version") == e.Version && r.Header.Get("ETag") == fmt.Sprintf(`"%d"`, e.Version),
			fmt.Sprintf(`balance %d at version %d, ETag "%d"`, balances[i], e.Version, e.Version), r.Describe())
		c.Doing("GET /accounts/{id}?as_of=<the recorded_at of version %d, at UTC+1: %s>", e.Version, e.RecordedAt.In(time.FixedZone("", 3600)).Format(time.RFC3339Nano))
		r = asOf(e.RecordedAt.In(time.FixedZone("", 3600)))
		c.Status(r, http.StatusOK)
		c.That(r.Int("version") == e.Version, fmt.Sprintf("version %d: the same moment, written in another time zone", e.Version), r.Describe())
		if i == 0 {
			continue
		}
		c.Doing("GET /accounts/{id}?as_of=<one nanosecond before version %d was recorded>", e.Version)
		r = asOf(e.RecordedAt.Add(-time.Nanosecond))
		c.Status(r, http.StatusOK)
		c.That(r.Int("balance") == balances[i-1] && r.Int("version") == e.Version-1,
			fmt.Sprintf("balance %d at version %d", balances[i-1], e.Version-1), r.Describe())
	}

	c.Doing("GET /accounts/{id}?as_of=<one nanosecond before the account was opened>")
	r = asOf(stream.Events[0].RecordedAt.Add(-time.Nanosecond))
	c.Status(r, http.StatusNotFound)
	c.That(strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") && strings.Contains(r.String("detail"), "opened at"),
		`a problem+json 404 whose detail says when the account was "opened at"`, r.Describe())
	c.Doing("GET /accounts/{id} without as_of, after all that")
	r = api.Get("/accounts/" + id)
	c.Status(r, http.StatusOK)
	c.That(r.Int("balance") == 3000 && r.Int("version") == 3, "balance 3000 at version 3: the account as it is now", r.Describe())
}

func TestGuard_AsOfMustBeOneRFC3339Time(t *testing.T) {
	c := spec.For(t, stage)
	api, db := newAPI(t)
	path := "/accounts/" + unknownID
	for _, tc := range []struct{ name, query, detail string }{
		{"a word", "as_of=yesterday", "as_of"},
		{"a date without a time", "as_of=2026-03-01", "as_of"},
		{"a time without a zone", "as_of=2026-03-01T10:00:00", "as_of"},
		{"month 13", "as_of=2026-13-01T10:00:00Z", "as_of"},
		{"a + sent unencoded, which a URL reads as a space", "as_of=2026-03-01T11:00:00+01:00", "%2B"},
		{"empty", "as_of=", "as_of"},
		{"given twice", "as_of=2026-03-01T10:00:00Z&as_of=2026-03-02T10:00:00Z", "as_of"},
	} {
		bad := spec.BadRequest{Name: "as_of: " + tc.name, Method: "GET", Path: path + "?" + tc.query, Want: http.StatusBadRequest, DetailHas: tc.detail}
		r := api.Send(bad)
		c.CheckRefused(bad, r)
		if tc.detail != "%2B" {
			c.That(!strings.Contains(r.String("detail"), "%2B"), "a detail without the advice about + (this time has no space in it)", r.Describe())
		}
	}
	bad := spec.BadRequest{Name: "malformed id", Method: "GET", Path: "/accounts/42?as_of=2026-03-01T10:00:00Z", Want: http.StatusBadRequest}
	c.CheckRefused(bad, api.Send(bad))
	unknown := spec.BadRequest{Name: "an account that does not exist", Method: "GET", Path: path + "?as_of=2026-03-01T10:00:00Z", Want: http.StatusNotFound}
	c.CheckRefused(unknown, api.Send(unknown))
	c.Doing("count the events after all the refused requests")
	c.Equal(0, countEvents(c, db), "events stored")
}
