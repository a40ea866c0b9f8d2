package sqlitedb_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

func TestOpenAPathWithHashAndQuestionMark(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a#b", "q?x")
	db, err := sqlitedb.Open(filepath.Join(dir, "bank.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Write.Exec(`CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bank.db")); err != nil {
		t.Fatalf("the database is not where it was asked to be: %v", err)
	}
}
