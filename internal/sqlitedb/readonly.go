package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
)

// OpenReadOnly opens the SQLite file a stage server writes, for reading only,
// from another process or beside the stage's own pools (the dashboard): the file
// is opened with mode=ro and every connection is query_only, so no statement can
// change the stage's data, nor create a file that is not there (a mistyped path
// would otherwise give an empty database and a reader that waits for events that
// never come).
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
	db.SetMaxOpenConns(4)
	if err := db.PingContext(context.Background()); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}
