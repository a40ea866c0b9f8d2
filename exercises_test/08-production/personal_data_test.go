package production_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/08-production"
	"github.com/google/uuid"
)

// Guards of crypto-shredding (personal_data.go): the holder's name is stored
// encrypted under a key of its stream, and forgetting deletes the key, with
// every copy of the name in the clear, in one transaction.

// forgettable is a name no other test uses: a byte scan of the database file
// finds it only where this test put it.
const forgettable = "Ada Quietly-Forgotten"

// bankOnFile starts the server on a database file of the test's own, and
// returns the file's path with it.
func bankOnFile(t *testing.T) (*spec.API, *sqlitedb.DB, string) {
	path := filepath.Join(t.TempDir(), "bank.db")
	db, err := sqlitedb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	api, _ := spec.StartAPIOn(t, db, bank.NewServer)
	return api, db, path
}

// fileHolds writes the WAL back into the database file and empties it, as a
// checkpoint does, and says whether the file or its WAL holds text anywhere,
// in any table, index or free page. (No VACUUM: what a delete freed must be
// gone already.)
func fileHolds(c *spec.Check, db *sqlitedb.DB, path string, text []byte) bool {
	checkpoint := func() {
		for deadline := time.Now().Add(spec.Patience); ; time.Sleep(10 * time.Millisecond) { // a reader may hold the WAL a moment; bounded
			var busy, frames, done int
			c.NoError(db.Write.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &done), "PRAGMA wal_checkpoint(TRUNCATE)")
			if busy == 0 {
				return
			}
			if time.Now().After(deadline) {
				c.Fail("the WAL written back into the file", "a reader kept it busy")
			}
		}
	}
	checkpoint()
	for _, file := range []string{path, path + "-wal"} {
		content, err := os.ReadFile(file)
		if err != nil && !os.IsNotExist(err) {
			c.NoError(err, "reading "+file)
		}
		if bytes.Contains(content, text) {
			return true
		}
	}
	return false
}

// closedAccount opens an account for owner with an Idempotency-Key, pays 5 in
// and out (the deposit with a key too), closes it, and returns its id, the
// opening's key and the position of the close.
func closedAccount(c *spec.Check, api *spec.API, owner string) (id, openKey string, closed int64) {
	openKey = uuid.NewString()
	c.Doing("open an account for %q (Idempotency-Key %s), deposit 5, withdraw 5, close it", owner, openKey)
	r := api.Post("/accounts", map[string]any{"owner": owner, "kind": "savings", "currency": "EUR"}, "Idempotency-Key", openKey)
	c.Status(r, http.StatusCreated)
	id = r.String("id")
	c.Status(api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 5, "reference": "first"}, "Idempotency-Key", uuid.NewString()), http.StatusOK)
	c.Status(api.Post("/accounts/"+id+"/withdrawals", map[string]any{"amount": 5}), http.StatusOK)
	r = api.Post("/accounts/"+id+"/close", nil)
	c.Status(r, http.StatusOK)
	return id, openKey, r.Int("position")
}

func TestGuard_AForgottenNameIsGoneFromTheWholeFile(t *testing.T) {
	c := spec.Guard(t, stage, "personal_data.go", "a forgotten name and its key are in no byte of the database file, and the events are unchanged")
	c.KeptBy("personal_data.go (shred), eventstore.go (NewEventStore), eventstore_append.go (insertEvents) and read_model_owners.go")
	api, db, path := bankOnFile(t)
	id, openKey, closed := closedAccount(c, api, forgettable)
	c.Status(api.Get(fmt.Sprintf("/accounts?owner=%s&min_position=%d", url.QueryEscape(forgettable), closed)), http.StatusOK)
	var stored string
	var key []byte
	c.NoError(db.Read.QueryRow(`SELECT data FROM events WHERE stream_id = ? AND version = 1`, bank.StreamID(id)).Scan(&stored), "reading the stored AccountOpened")
	c.That(!strings.Contains(stored, forgettable), "the AccountOpened row without the name in the clear (it is encrypted on append)", stored)
	c.NoError(db.Read.QueryRow(`SELECT secret FROM personal_keys WHERE subject = ?`, bank.StreamID(id)).Scan(&key), "reading the account's key")
	c.That(fileHolds(c, db, path, []byte(forgettable)) && fileHolds(c, db, path, key),
		"the name and the key in the file before the forgetting (the owners read model and the stored request hold the name: the scan works)", "not found")
	before := eventRows(c, db)

	forgetKey := uuid.NewString()
	c.Doing("POST /accounts/%s/forget (Idempotency-Key %s)", id, forgetKey)
	r := api.Post("/accounts/"+id+"/forget", nil, "Idempotency-Key", forgetKey)
	c.Status(r, http.StatusOK)
	forgotten := r.Int("position")
	r = api.Get("/accounts/" + id)
	c.That(r.Status == http.StatusOK && r.String("owner") == bank.ForgottenPersonalData && r.String("status") == "closed",
		fmt.Sprintf("the account, closed, its owner %q", bank.ForgottenPersonalData), r.Describe())
	events := c.Stream(api, id)
	c.That(len(events) == 5 && events[4].Type == "PersonalDataForgotten", "the stream ending in a PersonalDataForgotten (5 events)", fmt.Sprint(events))
	r = api.Get("/accounts/" + id + "/events")
	c.That(strings.Contains(string(r.Body), `"legal_name":"`+bank.ForgottenPersonalData+`"`) && !strings.Contains(string(r.Body), forgettable),
		fmt.Sprintf("the AccountOpened reading as legal_name %q", bank.ForgottenPersonalData), r.Describe())
	r = api.Get(fmt.Sprintf("/accounts?owner=%s&min_position=%d", url.QueryEscape(forgettable), forgotten))
	c.That(r.Status == http.StatusOK && strings.Contains(string(r.Body), `"accounts":[]`), "no account of hers in the owners read model", r.Describe())
	r = api.Get(fmt.Sprintf("/accounts/%s/transactions?min_position=%d", id, forgotten))
	c.That(r.Status == http.StatusOK && strings.Contains(string(r.Body), `"personal data forgotten"`), "the history's last line: personal data forgotten", r.Describe())
	c.That(!fileHolds(c, db, path, []byte(forgettable)), "no byte of the file holding the name once forgotten (the read model's row and the stored request gone, and zeroed)", "the name is still in the file")
	c.That(!fileHolds(c, db, path, key), "no byte of the file holding the account's key once forgotten", "the key is still in the file")
	after := eventRows(c, db)
	c.That(len(after) == len(before)+1, "one event more in the log", fmt.Sprintf("%d events, then %d", len(before), len(after)))
	c.Equal(jsonText(before), jsonText(after[:len(before)]), "the stored events before the forgetting, byte for byte (an event is never changed: forgetting deletes a key)")

	c.Doing("send the opening and the forgetting again, with their Idempotency-Keys")
	r = api.Post("/accounts", map[string]any{"owner": forgettable, "kind": "savings", "currency": "EUR"}, "Idempotency-Key", openKey)
	c.That(r.Status == http.StatusCreated && r.String("id") == id && r.Header.Get("Idempotent-Replayed") == "true",
		"201 with the first answer, replayed: the same account, none opened again", r.Describe())
	r = api.Post("/accounts/"+id+"/forget", nil, "Idempotency-Key", forgetKey)
	c.That(r.Status == http.StatusOK && r.Header.Get("Idempotent-Replayed") == "true", "200 with the first answer, replayed", r.Describe())
	c.Equal(len(after), len(eventRows(c, db)), "events in the log (a retry writes nothing)")

	c.Doing("rebuild the owners read model from position 0")
	c.Status(api.Post("/projections/accounts_by_owner/rebuild", nil), http.StatusAccepted)
	awaitOwnersOnGreen(c, api)
	c.That(!fileHolds(c, db, path, []byte(forgettable)), "no byte of the file holding the name after the rebuild (it reads the name as forgotten)", "the name is back in the file")
}

func TestGuard_OnlyAClosedAccountsPersonalDataCanBeForgotten(t *testing.T) {
	c := spec.Guard(t, stage, "account_aggregate.go (ForgetPersonalData)", "only a closed account's personal data can be forgotten, once")
	c.KeptBy("account_aggregate.go (ForgetPersonalData), forget_personal_data.go and http_commands.go")
	api, db := newAPI(t)
	r := api.Post("/accounts", map[string]any{"owner": "Grace Hopper", "kind": "savings", "currency": "EUR"})
	c.Status(r, http.StatusCreated)
	id := r.String("id")
	for _, refused := range []struct {
		doing, path, body string
		want              int
		says              string
	}{
		{"forget an open account", "/accounts/" + id + "/forget", "", http.StatusUnprocessableEntity, "closed"},
		{"forget with a body", "/accounts/" + id + "/forget", `{"why":"asked"}`, http.StatusBadRequest, ""},
		{"forget an account that does not exist", "/accounts/" + uuid.NewString() + "/forget", "", http.StatusNotFound, ""},
		{"forget an account by a malformed id", "/accounts/grace/forget", "", http.StatusBadRequest, ""},
		{"forget the nil account id", "/accounts/" + uuid.Nil.String() + "/forget", "", http.StatusBadRequest, "nil UUID"},
	} {
		before := fingerprint(c, db)
		c.Doing("%s: POST %s %s", refused.doing, refused.path, refused.body)
		r := api.Do(http.MethodPost, refused.path, refused.body, "Content-Type", "application/json")
		c.NoStub(r)
		c.That(r.Status == refused.want && strings.Contains(string(r.Body), refused.says), fmt.Sprintf("%d saying %q", refused.want, refused.says), r.Describe())
		c.Equal(before, fingerprint(c, db), "the events table (a refusal writes nothing)")
	}
	c.Doing("close the account, then forget it twice")
	c.Status(api.Post("/accounts/"+id+"/close", nil), http.StatusOK)
	c.Status(api.Post("/accounts/"+id+"/forget", nil), http.StatusOK)
	before := fingerprint(c, db)
	r = api.Post("/accounts/"+id+"/forget", nil)
	c.That(r.Status == http.StatusUnprocessableEntity && strings.Contains(string(r.Body), "forgotten already"), "422 saying it is forgotten already", r.Describe())
	r = api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 5})
	c.Status(r, http.StatusUnprocessableEntity)
	c.Equal(before, fingerprint(c, db), "the events table after the second forgetting and a deposit (refusals write nothing)")
}

func TestGuard_OpeningRefusesTheStoresMarksAsANames(t *testing.T) {
	c := spec.Guard(t, stage, "open_account.go (checkOwner)", "no holder is named like a forgotten or an encrypted name")
	api, db := newAPI(t)
	before := fingerprint(c, db)
	for _, owner := range []string{bank.ForgottenPersonalData, "encrypted:v1:QUJD"} {
		c.Doing("POST /accounts with owner %q", owner)
		r := api.Post("/accounts", map[string]any{"owner": owner, "kind": "savings", "currency": "EUR"})
		c.That(r.Status == http.StatusBadRequest && strings.Contains(string(r.Body), "owner"), "400 naming owner: a name read back so would pass for forgotten or encrypted", r.Describe())
	}
	c.Equal(before, fingerprint(c, db), "the events table (a refusal writes nothing)")
	c.Doing("POST /accounts with owner %q", "Encrypted Ltd (forgotten)")
	c.Status(api.Post("/accounts", map[string]any{"owner": "Encrypted Ltd (forgotten)", "kind": "savings", "currency": "EUR"}), http.StatusCreated)
}

func TestGuard_EachAccountHasAKeyOfItsOwn(t *testing.T) {
	c := spec.Guard(t, stage, "personal_data.go (newStreamKey, encrypt)", "each account's name has a random key of its own, and a name never encrypts twice the same")
	api, db := newAPI(t)
	for range 2 {
		c.Status(api.Post("/accounts", map[string]any{"owner": "Twin", "kind": "savings", "currency": "EUR"}), http.StatusCreated)
	}
	rows, err := db.Read.Query(`SELECT k.secret, e.data FROM personal_keys k JOIN events e ON e.stream_id = k.subject AND e.version = 1`)
	c.NoError(err, "reading personal_keys")
	defer rows.Close()
	var keys, names []string
	for rows.Next() {
		var secret []byte
		var data string
		c.NoError(rows.Scan(&secret, &data), "reading a key")
		keys, names = append(keys, fmt.Sprintf("%x", secret)), append(names, legalNameIn(c, data))
		c.That(len(secret) == 32 && !bytes.Equal(secret, make([]byte, 32)), "a 32-byte key (AES-256), not zeros", fmt.Sprintf("%x", secret))
	}
	c.That(len(keys) == 2 && keys[0] != keys[1], "two keys, one per account, different", fmt.Sprint(keys))
	c.That(len(names) == 2 && names[0] != names[1] && strings.HasPrefix(names[0], "encrypted:v1:"), "the same name stored as two different encrypted values", fmt.Sprint(names))
	var nonces []string
	for _, name := range names {
		sealed, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(name, "encrypted:v1:"))
		c.NoError(err, "decoding an encrypted value")
		c.That(len(sealed) > 12 && !bytes.Equal(sealed[:12], make([]byte, 12)), "a random 12-byte nonce in front of each value, not zeros (GCM must never seal twice under one key and nonce)", fmt.Sprintf("%x", sealed))
		nonces = append(nonces, fmt.Sprintf("%x", sealed[:min(12, len(sealed))]))
	}
	c.That(nonces[0] != nonces[1], "two different nonces", fmt.Sprint(nonces))
}

// legalNameIn is the holder's legal name in a stored AccountOpened v3.
func legalNameIn(c *spec.Check, data string) string {
	var v struct {
		Holder struct {
			LegalName string `json:"legal_name"`
		} `json:"holder"`
	}
	c.NoError(json.Unmarshal([]byte(data), &v), "decoding a stored AccountOpened")
	return v.Holder.LegalName
}

func TestGuard_AnEncryptedNameOpensOnlyWithItsKeyInItsStream(t *testing.T) {
	c := spec.Guard(t, stage, "personal_data.go (decryptPersonalData)", "a lost key, a damaged value, one moved to another stream or a key marked forgotten and kept fails the read: only a deleted key reads as forgotten")
	c.KeptBy("personal_data.go (decryptPersonalData, decrypt) and eventstore.go (scanEnvelope)")
	api, db := newAPI(t)
	store := storeOn(c, db)
	var ids []string
	for _, owner := range []string{"Alan Turing", "Joan Clarke", "Tommy Flowers", "Gordon Welchman", "Mavis Batey", "Bill Tutte", "Dilly Knox"} {
		r := api.Post("/accounts", map[string]any{"owner": owner, "kind": "savings", "currency": "EUR"})
		c.Status(r, http.StatusCreated)
		ids = append(ids, r.String("id"))
	}
	c.Doing("Load the first account")
	history, err := store.Load(c.Ctx(), bank.StreamID(ids[0]))
	c.NoError(err, "Load")
	opened, _ := history[0].Event.(bank.AccountOpened)
	c.Equal("Alan Turing", opened.Holder.LegalName, "the holder's name, decrypted on read")
	stored := func(id string) string {
		var data string
		c.NoError(db.Read.QueryRow(`SELECT data FROM events WHERE stream_id = ? AND version = 1`, bank.StreamID(id)).Scan(&data), "reading a stored AccountOpened")
		return data
	}
	rewrite := func(id, data string) {
		_, err := db.Write.Exec(`UPDATE events SET data = ? WHERE stream_id = ? AND version = 1`, data, bank.StreamID(id))
		c.NoError(err, "changing a stored row (test setup)")
	}
	first, second := stored(ids[0]), stored(ids[1])
	rewrite(ids[1], strings.Replace(second, legalNameIn(c, second), legalNameIn(c, first), 1))
	value := legalNameIn(c, stored(ids[2]))
	rewrite(ids[2], strings.Replace(stored(ids[2]), value, value[:len(value)-4]+"AAAA", 1))
	rewrite(ids[3], strings.Replace(stored(ids[3]), legalNameIn(c, stored(ids[3])), "encrypted:v1:QUJD", 1))
	rewrite(ids[6], strings.Replace(stored(ids[6]), legalNameIn(c, stored(ids[6])), legalNameIn(c, first), 1))
	_, err = db.Write.Exec(`UPDATE personal_keys SET secret = (SELECT secret FROM personal_keys WHERE subject = ?) WHERE subject = ?`,
		bank.StreamID(ids[0]), bank.StreamID(ids[6]))
	c.NoError(err, "copying a key (test setup)")
	_, err = db.Write.Exec(`DELETE FROM personal_keys WHERE subject = ?`, bank.StreamID(ids[0]))
	c.NoError(err, "deleting a key (test setup)")
	_, err = db.Write.Exec(`UPDATE personal_keys SET secret = substr(secret, 1, 16) WHERE subject = ?`, bank.StreamID(ids[4]))
	c.NoError(err, "damaging a key (test setup)")
	_, err = db.Write.Exec(`UPDATE personal_keys SET forgotten_at = '2026-01-01T00:00:00Z' WHERE subject = ?`, bank.StreamID(ids[5]))
	c.NoError(err, "marking a key forgotten and keeping it (test setup)")
	for i, fault := range []struct{ doing, says string }{
		{"its key row deleted (lost, not forgotten)", "no key"},
		{"the first account's encrypted name in its row", "does not open"},
		{"its encrypted name damaged", "does not open"},
		{"an encrypted name of 3 bytes (shorter than a nonce)", "not an encrypted value"},
		{"its key 16 bytes long (AES-128: not this bank's)", "its key is 16 bytes"},
		{"its key marked forgotten and still there (a forgetting half done)", "still there"},
		{"the first account's encrypted name and its key, both copied to it (only the stream as associated data tells)", "does not open"},
	} {
		c.Doing("Load account %d, %s", i+1, fault.doing)
		_, err := store.Load(c.Ctx(), bank.StreamID(ids[i]))
		c.That(err != nil && strings.Contains(err.Error(), "personal data of "+bank.StreamID(ids[i])) && strings.Contains(err.Error(), fault.says),
			fmt.Sprintf("an error naming the stream's personal data, saying %q", fault.says), fmt.Sprint(err))
		logged, err := store.ReadLog(c.Ctx(), 0, 10)
		c.NoError(err, "ReadLog")
		c.That(len(logged) == 7 && logged[i].Err != nil, "ReadLog giving the row with its error (a projection parks it)", fmt.Sprint(logged[i].Err))
	}
}

func TestGuard_ANameStoredInTheClearReadsAsItIsAndCannotBeForgotten(t *testing.T) {
	c := spec.Guard(t, stage, "personal_data.go (shred)", "a name an older release stored in the clear reads as it is, and forgetting it is refused")
	api, db := newAPI(t)
	id := uuid.NewString()
	s := bank.StreamID(id)
	insertRows(c, db,
		storedRow{s, 1, "AccountOpened", 3, `{"account_id":"` + id + `","holder":{"legal_name":"Charles Babbage","type":"person"},"kind":"savings","currency":"EUR","overdraft_limit":0}`},
		storedRow{s, 2, "AccountClosed", 1, `{}`})
	r := api.Get("/accounts/" + id)
	c.That(r.Status == http.StatusOK && r.String("owner") == "Charles Babbage", "the account of Charles Babbage, read from a row in the clear", r.Describe())
	before := fingerprint(c, db)
	c.Doing("POST /accounts/%s/forget", id)
	r = api.Post("/accounts/"+id+"/forget", nil)
	c.That(r.Status == http.StatusUnprocessableEntity && strings.Contains(string(r.Body), "in the clear"),
		"422 saying the name is stored in the clear (deleting a key cannot forget it)", r.Describe())
	c.Equal(before, fingerprint(c, db), "the events table (the refused forgetting writes nothing)")
}

func TestGuard_NoSnapshotHoldsAForgottenName(t *testing.T) {
	c := spec.Guard(t, stage, "personal_data.go (shred) and snapshots.go (Put)", "forgetting deletes the snapshot, and none is stored after")
	api, db := newAPI(t)
	id, _, _ := closedAccount(c, api, "Hedy Lamarr")
	snapshots, err := bank.NewSnapshots(c.Ctx(), db)
	c.NoError(err, "NewSnapshots")
	// Of another shape than this code reads, so that the forgetting loads the
	// account by replay (task 8.1 is not needed here); forgetting deletes it all the same.
	snap := bank.Snapshot{StreamID: bank.StreamID(id), Version: 4, StateVersion: bank.AccountStateVersion + 1, State: []byte(`{"owner":"Hedy Lamarr"}`), TakenAt: time.Now()}
	c.NoError(snapshots.Put(c.Ctx(), snap), "Put a snapshot at version 4")
	count := func() (n int) {
		c.NoError(db.Read.QueryRow(`SELECT count(*) FROM snapshots WHERE stream_id = ?`, bank.StreamID(id)).Scan(&n), "counting snapshots")
		return n
	}
	c.Equal(1, count(), "snapshots of the account before the forgetting")
	c.Doing("POST /accounts/%s/forget, then Put the snapshot at version 4 again (a command that finished late)", id)
	c.Status(api.Post("/accounts/"+id+"/forget", nil), http.StatusOK)
	c.Equal(0, count(), "snapshots of the account once forgotten (the snapshot holds the name in the clear)")
	c.NoError(snapshots.Put(c.Ctx(), snap), "Put")
	c.Equal(0, count(), "snapshots of the account after a late Put (it would bring the name back)")
	other := c.OpenAccount(api, "savings", 0)
	c.Doing("Put a snapshot of another account, %s", other)
	c.NoError(snapshots.Put(c.Ctx(), bank.Snapshot{StreamID: bank.StreamID(other), Version: 1, StateVersion: bank.AccountStateVersion + 1, State: []byte(`{}`), TakenAt: time.Now()}), "Put")
	var others int
	c.NoError(db.Read.QueryRow(`SELECT count(*) FROM snapshots WHERE stream_id = ?`, bank.StreamID(other)).Scan(&others), "counting snapshots")
	c.Equal(1, others, "snapshots of an account that was not forgotten (one forgetting stops no other account's)")
}

func TestGuard_ACopyOfTheStoreCarriesTheKeys(t *testing.T) {
	c := spec.Guard(t, stage, "copy_and_replace_rows.go (copiedTables)", "a copy of the store reads its encrypted names, and what was forgotten stays forgotten")
	api, db := newAPI(t)
	r := api.Post("/accounts", map[string]any{"owner": "Katherine Johnson", "kind": "savings", "currency": "EUR"})
	c.Status(r, http.StatusCreated)
	kept := r.String("id")
	forgotten, _, _ := closedAccount(c, api, "Dorothy Vaughan")
	c.Status(api.Post("/accounts/"+forgotten+"/forget", nil), http.StatusOK)
	to := fileDB(t, "copy.db")
	c.Doing("CopyAndReplace the store")
	_, err := copyAndReplace(c, db, to)
	c.NoError(err, "CopyAndReplace")
	copied := storeOn(c, to)
	for _, want := range []struct{ id, name string }{{kept, "Katherine Johnson"}, {forgotten, bank.ForgottenPersonalData}} {
		history, err := copied.Load(c.Ctx(), bank.StreamID(want.id))
		c.NoError(err, "Load from the copy")
		opened, _ := history[0].Event.(bank.AccountOpened)
		c.Equal(want.name, opened.Holder.LegalName, "the holder's name, read from the copy")
	}
}

func TestGuard_AnAppendThatCannotStoreItsKeyStoresNothing(t *testing.T) {
	c := spec.Guard(t, stage, "personal_data.go (newStreamKey)", "the key and the encrypted name commit together, or neither")
	db := spec.OpenDB(t)
	store := storeOn(c, db)
	id := uuid.NewString()
	_, err := db.Write.Exec(`INSERT INTO personal_keys (subject, secret) VALUES (?, zeroblob(32))`, bank.StreamID(id))
	c.NoError(err, "a stale key row of the stream (test setup)")
	c.Doing("Append an AccountOpened to %s, whose key row is there already", bank.StreamID(id))
	opened := bank.AccountOpened{AccountID: id, Holder: bank.Holder{LegalName: "Ada Lovelace", Type: bank.Person}, Kind: bank.Savings, Currency: "EUR"}
	_, err = store.Append(c.Ctx(), bank.StreamID(id), 0, bank.Metadata{CorrelationID: "c", CausationID: "c", UserID: "u"}, opened)
	c.That(sqlitedb.IsUniqueViolation(err), "the key's insert refused by personal_keys' primary key (a key is never reused, nor replaced)", fmt.Sprint(err))
	c.Equal(0, len(eventRows(c, db)), "events stored (none: the append is one transaction)")
}

func TestGuard_TheFoldForgetsTheNameItself(t *testing.T) {
	c := spec.Guard(t, stage, "account_aggregate.go (Account.apply)", "PersonalDataForgotten forgets the holder in the fold, whatever the store gave")
	given(c, openedAs(bank.Savings, 0), bank.AccountClosed{}, bank.PersonalDataForgotten{}).
		When("ForgetPersonalData again, the AccountOpened still holding the name", on((*bank.Account).ForgetPersonalData)).
		ThenFails(new(*bank.PolicyError))
	acc, err := bank.NewAccountFactory().Reconstitute(history(openedAs(bank.Savings, 0), bank.AccountClosed{}, bank.PersonalDataForgotten{}))
	c.NoError(err, "Reconstitute")
	c.Equal(bank.ForgottenPersonalData, acc.View().Owner, "the owner after PersonalDataForgotten")
}

func TestGuard_AForgettingTheDatabaseFailsOnHalfWayLeavesNothing(t *testing.T) {
	for _, failing := range []string{"UPDATE personal_keys", "DELETE FROM snapshots", "UPDATE idempotency_keys"} {
		c := spec.Guard(t, stage, "personal_data.go (shred)", "a forgetting is one transaction: all of it, or nothing")
		wrapped, conn := failingSQLite(c, t, spec.OpenDB(t))
		api := quietAPIOn(c, t, wrapped) // nothing in the background reads conn.failing while the test sets it
		id, _, _ := closedAccount(c, api, "Ada Failing")
		before := fingerprint(c, wrapped)
		kept := tableDump(c, wrapped, "personal_keys") + "\n" + tableDump(c, wrapped, "idempotency_keys")
		conn.failing = failing
		c.Doing("POST /accounts/%s/forget while SQLite fails %s with an I/O error", id, failing)
		r := api.Post("/accounts/"+id+"/forget", nil)
		conn.failing = ""
		c.That(r.Status >= 500, "a 5xx: the database failed, and the forgetting with it", r.Describe())
		c.Equal(before, fingerprint(c, wrapped), "the events table (no PersonalDataForgotten without the rest)")
		c.Equal(kept, tableDump(c, wrapped, "personal_keys")+"\n"+tableDump(c, wrapped, "idempotency_keys"), "the keys and the stored requests (none of the forgetting stays)")
		r = api.Get("/accounts/" + id)
		c.That(r.Status == http.StatusOK && r.String("owner") == "Ada Failing", "the account still readable, its name with it (the key kept)", r.Describe())
	}
}

// quietAPIOn starts the bank's server on db with its background work (the
// projections, the relay) stopped: commands and the write model go on working,
// on each request's context.
func quietAPIOn(c *spec.Check, t *testing.T, db *sqlitedb.DB) *spec.API {
	log, serverLog := spec.NewServerLog()
	t.Cleanup(func() {
		if strings.Contains(serverLog.String(), "msg=panic") {
			t.Errorf("\nThe server panicked while answering a request (a panic is never an answer: return an error).\n  server log: %s", serverLog.String())
		}
	})
	ctx, stop := context.WithCancel(context.Background())
	e, err := bank.NewServer(ctx, db, log)
	stop()
	c.NoError(err, "starting the server (test setup)")
	api := spec.NewAPI(e, serverLog)
	for deadline := time.Now().Add(spec.Patience); ; time.Sleep(time.Millisecond) { // polling a condition, bounded
		projections, outbox := string(api.Get("/projections").Body), string(api.Get("/outbox").Body)
		if !strings.Contains(projections, `"status":"running"`) && !strings.Contains(projections, `"status":"starting"`) &&
			strings.Contains(outbox, `"status":"stopped"`) && strings.Count(projections, `"status":"stopped"`) == 3 {
			return api
		}
		if time.Now().After(deadline) {
			c.Fail("a server whose background work has stopped (test setup)", projections+" "+outbox)
		}
	}
}
