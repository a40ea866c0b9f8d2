package bank

import (
	"context"
	"fmt"
	"time"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

// Two servers on one database file (a rolling deploy, a second instance started
// by mistake) must not both relay: each would send every message, and the order
// of one account's messages would be lost between them. So a relay publishes only
// while it holds the lease, a row in relay_lease that names it and says until when
// it holds. It renews the lease long before it runs out; another relay takes it
// only once it has run out: when its holder stopped (a clean stop gives it back at
// once) or died (a crash: after at most LeaseTTL).
//
// A lease alone is not enough: a holder that stalls (a long pause, a slow
// publisher) could still be publishing after its lease ran out and the other relay
// took over. So each publish is bounded by PublishTimeout, and the relay renews
// whenever less than half of LeaseTTL is left, with PublishTimeout at most a
// quarter of LeaseTTL: a publish always ends while its relay still holds the
// lease. (One clock decides: the servers share a file, so they share a machine.)

const leaseSchema = `
CREATE TABLE IF NOT EXISTS relay_lease (
	name       TEXT PRIMARY KEY,
	holder     TEXT NOT NULL,
	expires_at INTEGER NOT NULL -- Unix milliseconds
)`

// leaseName is the one lease of a database's outbox.
const leaseName = "outbox"

// lease is one relay's claim on the outbox.
type lease struct {
	db     *sqlitedb.DB
	holder string    // this relay's id
	until  time.Time // when the lease this relay holds runs out (zero: it holds none)
}

// acquire takes the lease, or renews it, until now+ttl, unless another relay
// holds one that has not run out. It reports whether this relay holds it.
func (l *lease) acquire(ctx context.Context, now time.Time, ttl time.Duration) (bool, error) {
	until := now.Add(ttl)
	res, err := l.db.Write.ExecContext(ctx, `
		INSERT INTO relay_lease (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE relay_lease.holder = excluded.holder OR relay_lease.expires_at <= ?`,
		leaseName, l.holder, until.UnixMilli(), now.UnixMilli())
	if err != nil {
		l.until = time.Time{}
		return false, fmt.Errorf("relay lease: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil || n != 1 {
		l.until = time.Time{}
		return false, err
	}
	l.until = until
	return true, nil
}

// holds reports whether this relay's lease lasts at least until t.
func (l *lease) holds(t time.Time) bool { return !l.until.IsZero() && l.until.After(t) }

// release gives the lease back, so that another relay may take over at once.
func (l *lease) release(ctx context.Context) error {
	l.until = time.Time{}
	_, err := l.db.Write.ExecContext(ctx, `DELETE FROM relay_lease WHERE name = ? AND holder = ?`, leaseName, l.holder)
	return err
}

// LeaseHolder is who holds the outbox's lease, and until when.
type LeaseHolder struct {
	Holder    string    `json:"holder"`
	ExpiresAt time.Time `json:"expires_at"`
}

// readLease reads the lease ("" holder: none).
func readLease(ctx context.Context, db *sqlitedb.DB) (LeaseHolder, error) {
	var h LeaseHolder
	var expires int64
	err := db.Read.QueryRowContext(ctx, `SELECT COALESCE(MAX(holder), ''), COALESCE(MAX(expires_at), 0) FROM relay_lease WHERE name = ?`,
		leaseName).Scan(&h.Holder, &expires)
	if err != nil {
		return LeaseHolder{}, fmt.Errorf("relay lease: %w", err)
	}
	if h.Holder != "" {
		h.ExpiresAt = time.UnixMilli(expires).UTC()
	}
	return h, nil
}
