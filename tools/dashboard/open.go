package dashboard

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// OpenReadOnly opens the SQLite file a stage server writes, for reading only:
// the file is opened with mode=ro and every connection is query_only, so no
// statement of the dashboard can change the stage's data, nor create a file that
// is not there (a mistyped -db would otherwise give an empty database and a
// dashboard that waits for events that never come).
//
// It leaves the journal mode alone: the stage server has put the file in WAL
// mode, where readers never block the writer.
func OpenReadOnly(path string) (*sql.DB, error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("no database at %s: start a stage server first (make run-stage7 SOLUTION=1 writes .data/07-upcasting.db)", path)
	case err != nil:
		return nil, err
	case info.IsDir():
		return nil, fmt.Errorf("%s is a folder, not an SQLite file", path)
	}
	db, err := sql.Open(driverName, readOnlyDSN(path))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// The watcher holds one connection; the other is for the stream a browser asks for.
	db.SetMaxOpenConns(4)
	if err := db.PingContext(context.Background()); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// busyTimeoutMillis bounds how long a read waits when SQLite says the file is
// locked (a checkpoint of the WAL in another process, say).
const busyTimeoutMillis = 5000

// fileURI makes an SQLite URI of a path, escaped so that a folder named "a#b"
// stays that folder (internal/sqlitedb does the same for the stages).
func fileURI(path string, options url.Values) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	slashed := filepath.ToSlash(path)
	if !strings.HasPrefix(slashed, "/") {
		slashed = "/" + slashed // a Windows drive: file:///C:/...
	}
	return (&url.URL{Scheme: "file", Path: slashed, RawQuery: options.Encode()}).String()
}
