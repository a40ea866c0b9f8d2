//go:build cgo

package sqlitedb

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/mattn/go-sqlite3"
)

const (
	driverName        = "sqlite3"
	driverDescription = "mattn/go-sqlite3 (cgo)"
)

// dsn builds a mattn/go-sqlite3 connection string. Its options are applied to
// every connection the pool opens, which a one-off PRAGMA statement would not be.
func dsn(path string, opts Options, readOnly bool) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", fmt.Sprint(BusyTimeoutMillis))
	q.Set("_synchronous", opts.Synchronous)
	q.Set("_foreign_keys", "on")
	if readOnly {
		q.Set("_query_only", "1")
	} else {
		q.Set("_txlock", "immediate")
	}
	return fileURI(path, q)
}

// readOnlyDSN is a mattn/go-sqlite3 connection string that can only read.
func readOnlyDSN(path string) string {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("_busy_timeout", fmt.Sprint(BusyTimeoutMillis))
	q.Set("_query_only", "1")
	return fileURI(path, q)
}

// IsUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY constraint failure.
func IsUniqueViolation(err error) bool {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
}

// IsBusy reports whether err is SQLite saying the database is locked by another
// connection (SQLITE_BUSY or SQLITE_LOCKED, after the busy timeout): a failure
// that may pass if the same work is tried again a little later.
func IsBusy(err error) bool {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked
}
