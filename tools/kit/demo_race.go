package main

import (
	"fmt"
	"net/http"
)

// make demo-race: stage 1's lost update, on every run. Forty withdrawals of 10
// from an account of 400 arrive together while the demo holds the write lock;
// with read-modify-write each reads 400 and writes back 390, so 400 leaves the
// account and the balance shows 10 gone. The solution's conditional UPDATE does
// the check and the subtraction in one statement: the same collision pays out
// 400 and leaves 0.

const (
	raceWithdrawals = 40
	raceAmount      = 10
	raceOpening     = raceWithdrawals * raceAmount // exactly enough for all of them
)

// raceOutcome is what one collision did to the account.
type raceOutcome struct {
	label            string
	statuses         string // "40 × 200"
	accepted         int
	balance, version int64
}

// lost is how much money left the account that its balance does not show.
func (o raceOutcome) lost() int64 {
	return int64(o.accepted*raceAmount) - (raceOpening - o.balance)
}

func demoRace(d *demo) (string, error) {
	d.step("Stage 1 with known-wrong variant read-modify-write: read the row, check in Go, write the new balance back.",
		"Every CRUD service has written this once. It passes every test that sends one request at a time.")
	wrong, err := raceOnce(d, "read-modify-write")
	if err != nil {
		return "", err
	}
	d.step("The same collision against the solution: one UPDATE ... SET balance = balance - ? WHERE balance - ? >= -overdraft_limit.",
		"The check and the write are one statement, so SQLite serialises them: no request can act on a stale read.")
	right, err := raceOnce(d, "")
	if err != nil {
		return "", err
	}
	d.step("Side by side: what was paid out, what the balance says, and the row's version.",
		fmt.Sprintf("Both servers said yes %d times and paid out %d. Only one of the two balances is true.", raceWithdrawals, raceOpening))
	t := newTable("server", "answers", "paid out", "balance", "should be", "lost", "version")
	for _, o := range []raceOutcome{wrong, right} {
		t.add(o.label, o.statuses, o.accepted*raceAmount, o.balance, raceOpening-o.accepted*raceAmount, o.lost(), o.version)
	}
	d.table(t)
	if wrong.lost() <= 0 {
		return "", notShown("read-modify-write lost nothing: %d accepted, balance %d", wrong.accepted, wrong.balance)
	}
	if right.lost() != 0 {
		return "", notShown("the solution lost %d: %d accepted, balance %d", right.lost(), right.accepted, right.balance)
	}
	return fmt.Sprintf("lost updates with read-modify-write: %d withdrawals of %d accepted (%d paid out), balance shows %d, row version %d; "+
		"the solution: %d accepted, balance %d, version %d, nothing lost",
		wrong.accepted, raceAmount, wrong.accepted*raceAmount, wrong.balance, wrong.version,
		right.accepted, right.balance, right.version), nil
}

// raceOnce opens an account of raceOpening on a fresh server (with the variant
// called variantName, or none), sends the withdrawals at once, and reads the
// account back.
func raceOnce(d *demo, variantName string) (raceOutcome, error) {
	o := raceOutcome{label: "solution"}
	if variantName != "" {
		o.label = variantName
	}
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
	open := map[string]any{"owner": "Ada Lovelace", "kind": "savings", "currency": "EUR", "overdraft_limit": 0}
	if _, err := srv.want(http.StatusCreated, http.MethodPost, "/accounts", open, &acc); err != nil {
		return o, err
	}
	raw, err := srv.want(http.StatusOK, http.MethodPost, "/accounts/"+acc.ID+"/deposits", map[string]any{"amount": raceOpening}, &acc)
	if err != nil {
		return o, err
	}
	d.note("Ada's savings account, %d in it (%s, a fresh database):", raceOpening, srv.base)
	if variantName != "" {
		d.json(raw) // the second time, the room knows what it looks like
	}

	d.note("")
	d.note("%d withdrawals of %d at once. The demo holds SQLite's write lock until all of them have arrived:", raceWithdrawals, raceAmount)
	d.note("each one reads the balance before any of them can write.")
	reqs := make([]demoRequest, raceWithdrawals)
	for i := range reqs {
		reqs[i] = demoRequest{method: http.MethodPost, path: "/accounts/" + acc.ID + "/withdrawals", body: map[string]any{"amount": raceAmount}}
	}
	answers, err := collide(srv, reqs)
	if err != nil {
		return o, err
	}
	o.statuses, o.accepted = countStatuses(answers), countStatus(answers, http.StatusOK)
	d.note("answers: %s", o.statuses)

	if raw, err = srv.get("/accounts/"+acc.ID, &acc); err != nil {
		return o, err
	}
	o.balance, o.version = acc.Balance, acc.Version
	d.note("the account afterwards:")
	d.json(raw)
	return o, nil
}
