// Command migrate moves stage 1's CRUD accounts into this stage's event store: every
// legacy row becomes the opening events of a stream. Running it twice adds nothing.
//
//	go run ./stages/08-production/cmd/migrate -from .data/01-crud.db -to .data/08-production.db
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/08-production"
	"github.com/google/uuid"
)

func main() {
	from := flag.String("from", ".data/01-crud.db", "stage 1 database with the accounts table")
	to := flag.String("to", ".data/"+bank.Stage.Slug+".db", "this stage's database with the events table (created if missing)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *from, *to); err != nil {
		fmt.Fprintln(os.Stderr, "migrate:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, from, to string) error {
	if _, err := os.Stat(from); err != nil {
		return fmt.Errorf("legacy database: %w (run stage 1's server first, or pass -from)", err)
	}
	legacy, err := sqlitedb.Open(from)
	if err != nil {
		return err
	}
	defer legacy.Close()
	db, err := sqlitedb.Open(to)
	if err != nil {
		return err
	}
	defer db.Close()
	store, err := bank.NewEventStore(ctx, db, bank.NewRegistry())
	if err != nil {
		return err
	}
	runID := "migration-" + uuid.NewString()
	report, err := bank.MigrateLegacyAccounts(ctx, legacy.Read, store, runID)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(os.Stdout).Encode(map[string]any{"run": runID, "report": report}); err != nil {
		return err
	}
	if len(report.Changed) > 0 {
		return fmt.Errorf("%d legacy rows changed after their migration and were not carried over: %v", len(report.Changed), report.Changed)
	}
	return nil
}
