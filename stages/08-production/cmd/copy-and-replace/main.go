// Command copy-and-replace copies a stopped server's database into a new file,
// with every event written under its current name at its current schema version.
// The old file is left as it was. Run it again after a failure: it goes on where
// it stopped. Then start the server on the copy.
//
//	go run ./stages/08-production/cmd/copy-and-replace -from .data/08-production.db -to .data/08-production-copy.db
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

func main() {
	from := flag.String("from", ".data/"+bank.Stage.Slug+".db", "the database to copy (stop its server first)")
	to := flag.String("to", ".data/"+bank.Stage.Slug+"-copy.db", "the new database (created if missing)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *from, *to); err != nil {
		fmt.Fprintln(os.Stderr, "copy-and-replace:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, from, to string) error {
	if _, err := os.Stat(from); err != nil {
		return fmt.Errorf("the database to copy: %w", err)
	}
	if same, err := sameFile(from, to); err != nil || same {
		return errors.Join(err, fmt.Errorf("-from and -to are the same file (%s): the copy goes into a new one", from))
	}
	source, err := sqlitedb.Open(from)
	if err != nil {
		return err
	}
	defer source.Close()
	target, err := sqlitedb.Open(to)
	if err != nil {
		return err
	}
	defer target.Close()
	report, err := bank.CopyAndReplace(ctx, source, target)
	if encodeErr := json.NewEncoder(os.Stdout).Encode(report); encodeErr != nil {
		return errors.Join(err, encodeErr)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "copied: start the server with -db %s; %s is unchanged\n", to, from)
	return nil
}

// sameFile reports whether a and b name one file (b may not exist yet).
func sameFile(a, b string) (bool, error) {
	absA, err := filepath.Abs(a)
	if err != nil {
		return false, err
	}
	absB, err := filepath.Abs(b)
	if err != nil {
		return false, err
	}
	if absA == absB {
		return true, nil
	}
	infoB, err := os.Stat(b)
	if os.IsNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	infoA, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	return os.SameFile(infoA, infoB), nil
}
