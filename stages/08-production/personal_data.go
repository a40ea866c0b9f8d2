package bank

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// Crypto-shredding. The log is never changed, yet a bank must forget a former
// customer when asked (GDPR article 17), once the years it must keep their
// records are over. So the log never holds personal data in the clear: each
// stream's personal data (the holder's legal name) is sealed with a key of its
// own, AES-256-GCM, kept in personal_keys beside the log. To forget is to
// delete the key: every copy of the sealed name that has no copy of the key (a
// replica of the log, an export, a consumer's archive) turns to noise at once,
// and the events stay exactly as they were written. What holds the name in the
// clear is a cache of the log (the owners read model, a snapshot) or a stored
// request (an idempotency key): it is cleared when the key is deleted.
//
// The store turns SQLite's secure_delete on (NewEventStore): what a delete
// frees is overwritten with zeros, not left in a free page. The write-ahead log
// keeps older copies of the pages until its next checkpoint (SQLite makes one
// every 1000 pages; PRAGMA wal_checkpoint(TRUNCATE) empties it). Backups hold
// the key too, until they expire: shredding is complete once the oldest backup
// taken before it is gone. A real bank keeps the keys apart from
// the log (a key management service), so that one stolen file is not both.

const personalKeysSchema = `
CREATE TABLE IF NOT EXISTS personal_keys (
	subject      TEXT PRIMARY KEY,
	secret       BLOB,
	forgotten_at TEXT
)`

// ForgottenPersonalData is what a sealed value reads as once its key is deleted.
// Opening an account refuses it as a name, so it means forgotten and nothing else.
const ForgottenPersonalData = "(forgotten)"

// encryptedPrefix begins every sealed value in an event's JSON. Opening an account
// refuses a name that begins with it, so a name in the clear (written by a
// release older than this one) is never taken for a sealed one.
const encryptedPrefix = "encrypted:v1:"

// withPersonalData is an event that carries personal data of its stream's
// subject: mapPersonal returns a copy of it with each personal value replaced
// by what f makes of it (sealed on append, opened on read).
type withPersonalData interface {
	Event
	mapPersonal(f func(string) (string, error)) (Event, error)
}

// mapPersonal: an AccountOpened's personal data is its holder's legal name.
func (e AccountOpened) mapPersonal(f func(string) (string, error)) (Event, error) {
	name, err := f(e.Holder.LegalName)
	if err != nil {
		return nil, err
	}
	e.Holder.LegalName = name
	return e, nil
}

// personalKey is a stream's row of personal_keys as a read of the log sees it.
type personalKey struct {
	secret    []byte         // nil when forgotten, or when the stream has no key
	forgotten sql.NullString // set once forgotten
}

// encryptPersonalData returns p's data with its personal values sealed under a
// new key of its stream, made in tx: the key and the sealed event commit
// together, or neither.
func (s *EventStore) encryptPersonalData(ctx context.Context, tx *sql.Tx, p pendingEvent) (string, error) {
	personal, ok := p.Event.(withPersonalData)
	if !ok {
		return p.data, nil
	}
	secret, err := newStreamKey(ctx, tx, p.StreamID)
	if err != nil {
		return "", err
	}
	sealed, err := personal.mapPersonal(func(v string) (string, error) { return encrypt(secret, p.StreamID, v) })
	if err != nil {
		return "", err
	}
	_, _, data, err := s.registry.Encode(sealed)
	return string(data), err
}

// newStreamKey makes the key of streamID's personal data, in tx. Only a
// stream's first event carries personal data (AccountOpened), so its key is
// made with it; a key already there (a stale row) fails the append, loudly.
func newStreamKey(ctx context.Context, tx *sql.Tx, streamID string) ([]byte, error) {
	secret := make([]byte, 32) // AES-256
	_, _ = rand.Read(secret)   // crypto/rand.Read never fails (Go 1.24)
	if _, err := tx.ExecContext(ctx, `INSERT INTO personal_keys (subject, secret) VALUES (?, ?)`, streamID, secret); err != nil {
		return nil, fmt.Errorf("personal data key of %s: %w", streamID, err)
	}
	return secret, nil
}

// encrypt seals plaintext with secret. The stream id is its associated data: a
// sealed value copied into another stream does not open there.
func encrypt(secret []byte, streamID, plaintext string) (string, error) {
	aead, err := newAEAD(secret, streamID)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce) // never fails (Go 1.24)
	sealed := aead.Seal(nonce, nonce, []byte(plaintext), []byte(streamID))
	return encryptedPrefix + base64.RawStdEncoding.EncodeToString(sealed), nil
}

// decryptPersonalData returns e with its personal values opened with key. A value
// in the clear (older releases wrote names so) is returned as it is; a
// forgotten one reads as ForgottenPersonalData. A sealed value without its key,
// or one that does not open, is an error: a lost key must never pass for a
// forgotten one.
func decryptPersonalData(e Event, streamID string, key personalKey) (Event, error) {
	personal, ok := e.(withPersonalData)
	if !ok {
		return e, nil
	}
	return personal.mapPersonal(func(v string) (string, error) {
		sealed, isSealed := strings.CutPrefix(v, encryptedPrefix)
		switch {
		case !isSealed:
			return v, nil
		case key.forgotten.Valid && key.secret == nil:
			return ForgottenPersonalData, nil
		case key.forgotten.Valid:
			return "", fmt.Errorf("personal data of %s is marked forgotten, and its key is still there", streamID)
		case key.secret == nil:
			return "", fmt.Errorf("personal data of %s is sealed, and personal_keys has no key for it", streamID)
		}
		return decrypt(key.secret, streamID, sealed)
	})
}

// decrypt opens an encrypted value (without its prefix) of streamID.
func decrypt(secret []byte, streamID, sealed string) (string, error) {
	aead, err := newAEAD(secret, streamID)
	if err != nil {
		return "", err
	}
	raw, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < aead.NonceSize() {
		return "", fmt.Errorf("personal data of %s: not an encrypted value", streamID)
	}
	n := aead.NonceSize()
	plaintext, err := aead.Open(nil, raw[:n], raw[n:], []byte(streamID))
	if err != nil {
		return "", fmt.Errorf("personal data of %s does not open with its key (damaged, or sealed for another stream)", streamID)
	}
	return string(plaintext), nil
}

// newAEAD is AES-256-GCM with secret, the key of streamID.
func newAEAD(secret []byte, streamID string) (cipher.AEAD, error) {
	if len(secret) != 32 { // aes.NewCipher takes 16 and 24 bytes too: AES-128 and -192
		return nil, fmt.Errorf("personal data of %s: its key is %d bytes, not 32", streamID, len(secret))
	}
	block, err := aes.NewCipher(secret)
	if err != nil {
		return nil, fmt.Errorf("personal data of %s: its key: %w", streamID, err)
	}
	return cipher.NewGCM(block)
}

// shred forgets the personal data of streamID, in tx, the transaction that
// appends its PersonalDataForgotten (recorded at at, UTC): it deletes the key,
// and the copies of the name in the clear that the store keeps: the snapshot,
// and the requests its idempotency keys stored (the keys stay, and a retry of
// one of them still gets its first answer: checkKey). The owners read model
// drops its row on the event. A stream without a key holds its name in the
// clear, written by an older release: no key deletion can forget it, and it is
// refused.
func shred(ctx context.Context, tx *sql.Tx, streamID string, at time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE personal_keys SET secret = NULL, forgotten_at = ? WHERE subject = ? AND secret IS NOT NULL`,
		at.Format(time.RFC3339Nano), streamID)
	if err != nil {
		return fmt.Errorf("forget the personal data of %s: %w", streamID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("forget the personal data of %s: %w", streamID, err)
	}
	if n == 0 {
		return &PolicyError{Reason: fmt.Sprintf(
			"the holder's name of %s is stored in the clear, by a release older than encrypted personal data: deleting a key cannot forget it", streamID)}
	}
	for _, clear := range []string{`DELETE FROM snapshots WHERE stream_id = ?`,
		`UPDATE idempotency_keys SET request = '` + ForgottenPersonalData + `' WHERE stream_id = ?`} {
		if _, err := tx.ExecContext(ctx, clear, streamID); err != nil {
			return fmt.Errorf("forget the personal data of %s: %w", streamID, err)
		}
	}
	return nil
}
