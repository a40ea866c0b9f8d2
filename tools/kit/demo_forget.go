package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

// make demo-forget: stage 8 forgets a customer without changing an event. The
// log stores her name encrypted with a key of her account's own; forgetting
// deletes the key, and the demo shows the stored row unchanged, the reads
// saying "(forgotten)", and a byte scan of the database file finding her name
// nowhere.

const forgetOwner = "Grace Hopper"

// forgetRun is one run of the demo: the server, the account, what it showed.
type forgetRun struct {
	*demo
	srv             *demoServer
	id              string
	rowBefore       string // the stored AccountOpened's data, before the forgetting
	rowAfter        string
	found, foundNow int // places of the file holding her name, before and after
	readsAs         string
}

func demoForget(d *demo) (string, error) {
	srv, err := d.server("", d.freshDB())
	if err != nil {
		return "", err
	}
	r := &forgetRun{demo: d, srv: srv}
	for _, part := range []func() error{r.open, r.refuseOpen, r.forget} {
		if err := part(); err != nil {
			return "", err
		}
	}
	return r.verdict()
}

// open gives her an account and shows the stored row beside what a read says.
func (r *forgetRun) open() (err error) {
	r.step("Grace Hopper opens a savings account (with an Idempotency-Key). GET /accounts/{id}/events shows her name; the stored row holds it encrypted.",
		"The log never holds personal data in the clear: the name is encrypted with a key of this account's own (personal_keys).")
	var acc struct {
		ID       string `json:"id"`
		Position int64  `json:"position"`
	}
	body := map[string]any{"owner": forgetOwner, "kind": "savings", "currency": "EUR"}
	if _, err := r.srv.want(http.StatusCreated, http.MethodPost, "/accounts", body, &acc, "Idempotency-Key", "grace-opens-savings"); err != nil {
		return err
	}
	r.id = acc.ID
	if _, err := r.srv.get(fmt.Sprintf("/accounts?owner=%s&min_position=%d", url.QueryEscape(forgetOwner), acc.Position), nil); err != nil {
		return err // the owners read model has her row: the scan below finds it
	}
	if err := r.showOpened("what a read says:"); err != nil {
		return err
	}
	if r.rowBefore, err = r.storedRow(); err != nil {
		return err
	}
	r.note("what the events table stores (data of the AccountOpened row):")
	r.json([]byte(r.rowBefore))
	r.found, err = r.scan()
	return err
}

// refuseOpen asks to forget while the account is open, and closes it.
func (r *forgetRun) refuseOpen() error {
	r.step("POST /accounts/{id}/forget while the account is open: refused. Then POST /accounts/{id}/close.",
		"Forgetting is the account's decision: only a closed account, and only once. A bank keeps who holds an open account.")
	raw, err := r.srv.want(http.StatusUnprocessableEntity, http.MethodPost, "/accounts/"+r.id+"/forget", nil, nil)
	if err != nil {
		return err
	}
	r.json(raw)
	_, err = r.srv.want(http.StatusOK, http.MethodPost, "/accounts/"+r.id+"/close", nil, nil)
	return err
}

// forget forgets her, and looks again: the read, the row, the key, the file.
func (r *forgetRun) forget() (err error) {
	r.step("POST /accounts/{id}/forget: PersonalDataForgotten, and in the same transaction her key is deleted.",
		"No event is changed. Without the key, every copy of the encrypted name is noise; the read models drop their copies.")
	var res struct {
		Position int64 `json:"position"`
	}
	if _, err := r.srv.want(http.StatusOK, http.MethodPost, "/accounts/"+r.id+"/forget", nil, &res); err != nil {
		return err
	}
	query := fmt.Sprintf("/accounts?owner=%s&min_position=%d", url.QueryEscape(forgetOwner), res.Position)
	if _, err := r.srv.get(query, nil); err != nil { // the owners read model has dropped her row
		return err
	}
	if err := r.showOpened("what a read says now:"); err != nil {
		return err
	}
	if r.rowAfter, err = r.storedRow(); err != nil {
		return err
	}
	r.note("the stored row, unchanged: %v", r.rowAfter == r.rowBefore)
	r.foundNow, err = r.scan()
	return err
}

// showOpened prints her AccountOpened as the API reads it.
func (r *forgetRun) showOpened(note string) error {
	events, _, err := readStream(r.srv, r.id)
	if err != nil {
		return err
	}
	if len(events) == 0 {
		return notShown("GET /accounts/%s/events has no event", r.id)
	}
	r.readsAs = events[0].Data.Holder.LegalName
	r.note("%s holder.legal_name %q", note, r.readsAs)
	return nil
}

// storedRow is the data of her AccountOpened as the events table holds it.
func (r *forgetRun) storedRow() (string, error) {
	db, err := sqlitedb.OpenReadOnly(r.srv.db)
	if err != nil {
		return "", err
	}
	defer db.Close()
	var data string
	err = db.QueryRow(`SELECT data FROM events WHERE stream_id = ? AND version = 1`, "account-"+r.id).Scan(&data)
	return data, err
}

// scan writes the write-ahead log back into the database file, as a
// checkpoint does, and counts the places of the file and its WAL that hold her name.
func (r *forgetRun) scan() (int, error) {
	db, err := sqlitedb.Open(r.srv.db)
	if err != nil {
		return 0, err
	}
	busy := 1
	for deadline := time.Now().Add(5 * time.Second); busy != 0 && err == nil && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var frames, done int // a reader may hold the WAL a moment: try again, bounded
		err = db.Write.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &done)
	}
	if err := errors.Join(err, db.Close()); err != nil {
		return 0, err
	}
	found := 0
	for _, file := range []string{r.srv.db, r.srv.db + "-wal"} {
		content, err := os.ReadFile(file)
		if err != nil && !os.IsNotExist(err) {
			return 0, err
		}
		found += bytes.Count(content, []byte(forgetOwner))
	}
	r.note("a byte scan of the database file and its WAL: %q in %d places", forgetOwner, found)
	return found, nil
}

// verdict checks the promise: the row unchanged, the reads forgotten, the name
// in the file before and nowhere after.
func (r *forgetRun) verdict() (string, error) {
	switch {
	case r.rowAfter != r.rowBefore:
		return "", notShown("the stored AccountOpened changed:\nbefore %s\nafter  %s", r.rowBefore, r.rowAfter)
	case r.readsAs != "(forgotten)":
		return "", notShown("her AccountOpened reads as %q after the forgetting, not (forgotten)", r.readsAs)
	case r.found == 0:
		return "", notShown("the scan found her name nowhere even before the forgetting: it proves nothing")
	case r.foundNow != 0:
		return "", notShown("her name is still in %d places of the database file after the forgetting", r.foundNow)
	}
	return fmt.Sprintf("forgotten without changing an event: her AccountOpened row is the same bytes, reads say (forgotten), "+
		"and her name, in %d places of the database file before (the owners read model and a stored request), is in none after", r.found), nil
}
