//go:build !cgo

package sqlitedb

import (
	"errors"
	"fmt"
	"net/url"

	"modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"
)

const (
	driverName        = "sqlite"
	driverDescription = "modernc.org/sqlite (pure Go, no C compiler needed)"
)

// dsn builds a modernc.org/sqlite connection string with the same settings as
// driver_cgo.go: WAL, a busy timeout, foreign keys, and immediate write transactions.
func dsn(path string, opts Options, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeoutMillis))
	q.Add("_pragma", "synchronous("+opts.Synchronous+")")
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return fileURI(path, q)
}

// readOnlyDSN is a modernc.org/sqlite connection string that can only read.
func readOnlyDSN(path string) string {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeoutMillis))
	q.Add("_pragma", "query_only(1)")
	return fileURI(path, q)
}

// IsUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY constraint failure.
func IsUniqueViolation(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3lib.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3lib.SQLITE_CONSTRAINT_PRIMARYKEY
}

// IsBusy reports whether err is SQLite saying the database is locked by another
// connection (SQLITE_BUSY or SQLITE_LOCKED, after the busy timeout): a failure
// that may pass if the same work is tried again a little later.
func IsBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	primary := se.Code() & 0xff // the extended codes keep the primary one in their low byte
	return primary == sqlite3lib.SQLITE_BUSY || primary == sqlite3lib.SQLITE_LOCKED
}
