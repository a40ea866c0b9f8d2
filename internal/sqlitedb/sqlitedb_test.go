package sqlitedb_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

func open(t *testing.T) *sqlitedb.DB {
	t.Helper()
	db, err := sqlitedb.Open(filepath.Join(t.TempDir(), "kit.db"))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	return db
}

func TestOpenCreatesMissingFolders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", ".data", "kit.db")
	db, err := sqlitedb.Open(path)
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Ping(context.Background()))
	_, err = os.Stat(path)
	require.NoError(t, err, "the database file exists once Open returns")
}

func TestOpenRefusesNonFilePaths(t *testing.T) {
	for _, path := range []string{"", ":memory:"} {
		db, err := sqlitedb.Open(path)
		require.Error(t, err, "path %q", path)
		require.Nil(t, db)
		require.Contains(t, err.Error(), "a file path is required")
	}
}

func TestOpenWithRefusesUnknownSynchronous(t *testing.T) {
	dir := t.TempDir()
	_, err := sqlitedb.OpenWith(filepath.Join(dir, "kit.db"), sqlitedb.Options{Synchronous: "OFF"})
	require.ErrorContains(t, err, `not "OFF"`)
	_, err = os.Stat(filepath.Join(dir, "kit.db"))
	require.ErrorIs(t, err, os.ErrNotExist, "nothing is created for a refused option")
}

func TestOpenFailsEarlyOnUnusablePath(t *testing.T) {
	// The parent "folder" is a file: Open must fail now, not on the first request.
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, err := sqlitedb.Open(filepath.Join(file, "kit.db"))
	require.Error(t, err)
}

func TestWritePoolHasOneConnection(t *testing.T) {
	db := open(t)
	require.Equal(t, 1, db.Write.Stats().MaxOpenConnections)
	require.Greater(t, db.Read.Stats().MaxOpenConnections, 1)
}

func pragma(t *testing.T, conn *sql.Conn, name string) string {
	t.Helper()
	var v string
	require.NoError(t, conn.QueryRowContext(context.Background(), "PRAGMA "+name).Scan(&v))
	return strings.ToLower(v)
}

func TestSettingsApplyToEveryConnection(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		opts sqlitedb.Options
		sync string // PRAGMA synchronous: 1 NORMAL, 2 FULL
	}{
		{sqlitedb.Options{}, "1"},
		{sqlitedb.Options{Synchronous: "FULL"}, "2"},
	} {
		t.Run("synchronous "+tt.sync, func(t *testing.T) {
			db, err := sqlitedb.OpenWith(filepath.Join(t.TempDir(), "kit.db"), tt.opts)
			require.NoError(t, err)
			defer db.Close()

			w, err := db.Write.Conn(ctx)
			require.NoError(t, err)
			require.Equal(t, "wal", pragma(t, w, "journal_mode"))
			require.Equal(t, tt.sync, pragma(t, w, "synchronous"))
			require.Equal(t, "1", pragma(t, w, "foreign_keys"))
			require.Equal(t, fmt.Sprint(sqlitedb.BusyTimeoutMillis), pragma(t, w, "busy_timeout"))
			require.Equal(t, "0", pragma(t, w, "query_only"))
			require.NoError(t, w.Close())

			// Hold several read connections at once, so each is a different one.
			var conns []*sql.Conn
			for range 3 {
				r, err := db.Read.Conn(ctx)
				require.NoError(t, err)
				conns = append(conns, r)
			}
			for _, r := range conns {
				require.Equal(t, "1", pragma(t, r, "query_only"))
				require.Equal(t, tt.sync, pragma(t, r, "synchronous"))
				require.Equal(t, "1", pragma(t, r, "foreign_keys"))
				require.Equal(t, fmt.Sprint(sqlitedb.BusyTimeoutMillis), pragma(t, r, "busy_timeout"))
				require.NoError(t, r.Close())
			}
		})
	}
}

func TestReadPoolRefusesWritesAndSeesCommits(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	_, err := db.Write.ExecContext(ctx, "CREATE TABLE t (n INTEGER PRIMARY KEY)")
	require.NoError(t, err)
	_, err = db.Write.ExecContext(ctx, "INSERT INTO t VALUES (1)")
	require.NoError(t, err)

	_, err = db.Read.ExecContext(ctx, "INSERT INTO t VALUES (2)")
	require.Error(t, err, "the read pool is query_only")
	_, err = db.Read.ExecContext(ctx, "CREATE TABLE u (x)")
	require.Error(t, err)

	var count int
	require.NoError(t, db.Read.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&count))
	require.Equal(t, 1, count)
}

func TestIsUniqueViolation(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	_, err := db.Write.ExecContext(ctx, `CREATE TABLE events (
		global_position INTEGER PRIMARY KEY AUTOINCREMENT,
		event_id TEXT UNIQUE,
		stream_id TEXT NOT NULL,
		version INTEGER NOT NULL,
		UNIQUE(stream_id, version))`)
	require.NoError(t, err)
	_, err = db.Write.ExecContext(ctx, `INSERT INTO events (global_position, event_id, stream_id, version) VALUES (1, 'e1', 's', 1)`)
	require.NoError(t, err)

	insert := func(sql string) error {
		_, err := db.Write.ExecContext(ctx, sql)
		require.Error(t, err, sql)
		return err
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"UNIQUE column", insert(`INSERT INTO events (event_id, stream_id, version) VALUES ('e1', 's', 2)`), true},
		{"UNIQUE pair", insert(`INSERT INTO events (event_id, stream_id, version) VALUES ('e2', 's', 1)`), true},
		{"PRIMARY KEY", insert(`INSERT INTO events (global_position, event_id, stream_id, version) VALUES (1, 'e3', 's', 3)`), true},
		{"wrapped", fmt.Errorf("append: %w", insert(`INSERT INTO events (event_id, stream_id, version) VALUES ('e1', 't', 1)`)), true},
		{"NOT NULL", insert(`INSERT INTO events (event_id, version) VALUES ('e4', 1)`), false},
		{"syntax error", insert(`INSERT INTO nowhere VALUES (1)`), false},
		{"other error", errors.New("UNIQUE constraint failed: events.event_id"), false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, sqlitedb.IsUniqueViolation(tt.err), "%s: %v", tt.name, tt.err)
	}
}

// nextNumber is a read-then-write transaction: it reads the highest number and
// inserts the next one. Run concurrently, it leaves gaps or duplicates unless the
// transactions are serialised.
func nextNumber(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // after Commit it is a no-op
	var last int
	if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(n), 0) FROM seq").Scan(&last); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO seq (n) VALUES (?)", last+1); err != nil {
		return err
	}
	return tx.Commit()
}

func requireGapless(t *testing.T, db *sqlitedb.DB, want int) {
	t.Helper()
	var count, lo, hi int
	require.NoError(t, db.Read.QueryRow("SELECT count(*), min(n), max(n) FROM seq").Scan(&count, &lo, &hi))
	require.Equal(t, []int{want, 1, want}, []int{count, lo, hi})
}

func runConcurrently(t *testing.T, workers []*sql.DB, each int) {
	t.Helper()
	errs := make(chan error, len(workers))
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := nextNumber(context.Background(), w); err != nil {
					errs <- fmt.Errorf("transaction %d: %w", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestReadThenWriteTransactionsOnWriteAreSerialised(t *testing.T) {
	db := open(t)
	_, err := db.Write.Exec("CREATE TABLE seq (n INTEGER PRIMARY KEY)")
	require.NoError(t, err)

	runConcurrently(t, []*sql.DB{db.Write, db.Write}, 50)
	requireGapless(t, db, 100)
}

func TestReadThenWriteTransactionsAcrossTwoOpensWait(t *testing.T) {
	// Two servers on one file (two pools, two write connections): BEGIN IMMEDIATE takes
	// the write lock before the read, and the busy timeout makes the other one wait
	// instead of failing with SQLITE_BUSY.
	path := filepath.Join(t.TempDir(), "kit.db")
	a, err := sqlitedb.Open(path)
	require.NoError(t, err)
	defer a.Close()
	b, err := sqlitedb.Open(path)
	require.NoError(t, err)
	defer b.Close()
	_, err = a.Write.Exec("CREATE TABLE seq (n INTEGER PRIMARY KEY)")
	require.NoError(t, err)

	runConcurrently(t, []*sql.DB{a.Write, b.Write}, 50)
	requireGapless(t, a, 100)
}

func TestDriverIsNamed(t *testing.T) {
	require.NotEmpty(t, sqlitedb.Driver())
}

// Close waits for the background work started with Go: a projector's last
// transaction commits before the pools close.
func TestCloseWaitsForBackgroundWork(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kit.db")
	db, err := sqlitedb.Open(path)
	require.NoError(t, err)
	_, err = db.Write.Exec(`CREATE TABLE done (n INTEGER)`)
	require.NoError(t, err)
	ctx, stop := context.WithCancel(context.Background())
	started := make(chan struct{})
	db.Go(func() {
		close(started)
		<-ctx.Done()
		_, err := db.Write.Exec(`INSERT INTO done VALUES (1)`) // the last write of a stopping worker
		if err != nil {
			t.Errorf("the background work's last write: %v", err)
		}
	})
	<-started
	stop()
	require.NoError(t, db.Close())

	again, err := sqlitedb.Open(path)
	require.NoError(t, err)
	defer again.Close()
	var n int
	require.NoError(t, again.Read.QueryRow(`SELECT COUNT(*) FROM done`).Scan(&n))
	require.Equal(t, 1, n, "the background work finished before Close returned")
}

func TestIsBusy(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "busy.db")
	holder, err := sqlitedb.Open(path)
	require.NoError(t, err)
	defer holder.Close()
	other, err := sqlitedb.Open(path)
	require.NoError(t, err)
	defer other.Close()
	_, err = holder.Write.ExecContext(ctx, `CREATE TABLE t (a)`)
	require.NoError(t, err)

	tx, err := holder.Write.BeginTx(ctx, nil) // BEGIN IMMEDIATE: holds the write lock
	require.NoError(t, err)
	defer tx.Rollback()
	conn, err := other.Write.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, `PRAGMA busy_timeout = 0`) // fail at once instead of after the timeout
	require.NoError(t, err)
	_, busy := conn.ExecContext(ctx, `INSERT INTO t VALUES (1)`)
	require.Error(t, busy)

	require.True(t, sqlitedb.IsBusy(busy), "%v", busy)
	require.True(t, sqlitedb.IsBusy(fmt.Errorf("apply: %w", busy)), "wrapped")
	_, syntax := tx.ExecContext(ctx, `INSERT INTO nowhere VALUES (1)`)
	require.False(t, sqlitedb.IsBusy(syntax), "%v", syntax)
	require.False(t, sqlitedb.IsBusy(errors.New("database is locked")), "a plain error")
	require.False(t, sqlitedb.IsBusy(nil))
}
