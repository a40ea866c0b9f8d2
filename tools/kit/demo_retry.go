package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// make demo-retry: stage 3's command handler retries a concurrency conflict
// with a fresh decision. Ada's phone and laptop each withdraw 60 from her 100
// while the demo holds the write lock, so both load version 2 and both decide
// yes. One append wins; the other meets the conflict, loads version 3 and
// decides again: 40 left, so no (422). The server's request log shows both.
// The same collision with known-wrong variant no-retry answers 409: proof that
// the collision is real, and what the retry saves the client from.

const (
	retryOpening = 100
	retryAmount  = 60 // affordable once, not twice
)

// retryClients are the two clients of the collision: their correlation ids.
var retryClients = []string{"phone", "laptop"}

// retryOutcome is what one collision answered, client by client.
type retryOutcome struct {
	statuses []int
	lines    []string // the request log's lines of the two withdrawals
	balance  int64
	version  int64
}

func demoRetry(d *demo) (string, error) {
	d.step(fmt.Sprintf("Stage 3's solution. Ada has %d; her phone and her laptop each withdraw %d at the same moment.", retryOpening, retryAmount),
		"The demo holds SQLite's write lock until both have loaded her account: both decide on version 2, both say yes.")
	right, err := retryOnce(d, "")
	if err != nil {
		return "", err
	}
	d.step("The same collision with known-wrong variant no-retry: the conflict goes back to the client.",
		"Without the retry, a withdrawal she could afford on her own gets a 409 whenever another one lands first.")
	wrong, err := retryOnce(d, "no-retry")
	if err != nil {
		return "", err
	}
	if !slices.Equal(slices.Sorted(slices.Values(right.statuses)), []int{200, 422}) || right.balance != retryOpening-retryAmount {
		return "", notShown("the solution answered %v with a balance of %d (want 200 and 422, balance %d)", right.statuses, right.balance, retryOpening-retryAmount)
	}
	if log := strings.Join(right.lines, "\n"); !strings.Contains(log, "status=200") || !strings.Contains(log, "status=422") {
		return "", notShown("the request log does not show the 200 and the 422:\n%s", log)
	}
	if !slices.Equal(slices.Sorted(slices.Values(wrong.statuses)), []int{200, 409}) {
		return "", notShown("no-retry answered %v (want 200 and 409): the two withdrawals did not collide", wrong.statuses)
	}
	return fmt.Sprintf("a conflict retried: both withdrawals of %d decided on version 2; one was appended (200), the other conflicted, "+
		"was decided again on version 3 and refused (422), balance %d; the request log shows status=200 and status=422. "+
		"With no-retry the same collision answers 409", retryAmount, right.balance), nil
}

// retryOnce runs the collision on a fresh server, with the variant called
// variantName or none, and shows the answers, the request log and the stream.
func retryOnce(d *demo, variantName string) (retryOutcome, error) {
	var o retryOutcome
	srv, err := d.server(variantName, d.freshDB())
	if err != nil {
		return o, err
	}
	defer srv.stop()
	var acc struct {
		ID      string `json:"id"`
		Balance int64  `json:"balance"`
		Version int64  `json:"version"`
	}
	setup := []string{"X-Correlation-ID", "opening"}
	open := map[string]any{"owner": "Ada Lovelace", "kind": "savings", "currency": "EUR", "overdraft_limit": 0}
	if _, err := srv.want(http.StatusCreated, http.MethodPost, "/accounts", open, &acc, setup...); err != nil {
		return o, err
	}
	if _, err := srv.want(http.StatusOK, http.MethodPost, "/accounts/"+acc.ID+"/deposits", map[string]any{"amount": retryOpening, "reference": "savings"}, nil, setup...); err != nil {
		return o, err
	}
	reqs := make([]demoRequest, len(retryClients))
	for i, client := range retryClients {
		reqs[i] = demoRequest{method: http.MethodPost, path: "/accounts/" + acc.ID + "/withdrawals",
			body: map[string]any{"amount": retryAmount, "reference": "bought on the " + client}, headers: []string{"X-Correlation-ID", client}}
	}
	answers, err := collide(srv, reqs)
	if err != nil {
		return o, err
	}
	t := newTable("client", "status", "answer")
	for i, a := range answers {
		o.statuses = append(o.statuses, a.status)
		t.add(retryClients[i], a.status, answerSummary(a.body))
	}
	d.note("the answers:")
	d.table(t)

	d.note("the server's request log (a line per request, as it answered):")
	for _, client := range retryClients {
		for _, line := range srv.log.await(1, 2*time.Second, "msg=request", "/withdrawals", "correlation_id="+client) {
			o.lines = append(o.lines, line)
			d.note("  %s", strings.ReplaceAll(withoutTime(line), acc.ID, "{id}"))
		}
	}
	if _, err := srv.get("/accounts/"+acc.ID, &acc); err != nil {
		return o, err
	}
	o.balance, o.version = acc.Balance, acc.Version
	events, _, err := readStream(srv, acc.ID)
	if err != nil {
		return o, err
	}
	d.note("her stream: one withdrawal, balance %d", acc.Balance)
	d.table(eventTable(events))
	return o, nil
}

// answerSummary is a command's answer in a few words: its version and
// position, or a problem's detail.
func answerSummary(body []byte) string {
	var a struct {
		Version  int64  `json:"version"`
		Position int64  `json:"position"`
		Title    string `json:"title"`
		Detail   string `json:"detail"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return strings.TrimSpace(string(body))
	}
	if a.Title != "" {
		return shorten(a.Title+": "+a.Detail, 90)
	}
	return fmt.Sprintf("version %d, position %d", a.Version, a.Position)
}
