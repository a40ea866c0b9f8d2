package dashboard

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

func TestOpenReadOnlyCreatesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "typo.db")
	_, err := sqlitedb.OpenReadOnly(path)
	require.ErrorContains(t, err, "no database at "+path)
	_, err = os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist, "a mistyped -db creates no empty database")
	_, err = sqlitedb.OpenReadOnly(t.TempDir())
	require.ErrorContains(t, err, "is a folder")
}

func TestOpenReadOnlyCannotWrite(t *testing.T) {
	b := newBank(t, stage2Tables)
	b.deposit(ada, 100, "first")
	for _, statement := range []string{
		`INSERT INTO events (event_id, stream_id, version, event_type, schema_version, data, metadata, recorded_at) VALUES ('x', 's', 1, 't', 1, '{}', '{}', 'now')`,
		`DELETE FROM events`,
		`CREATE TABLE dashboard_was_here (x)`,
	} {
		_, err := b.reader.Exec(statement)
		require.Error(t, err, statement)
	}
	var n int
	require.NoError(t, b.reader.QueryRow(`SELECT COUNT(*) FROM events`).Scan(&n))
	require.Equal(t, 1, n)
}
