// Command server runs this stage's HTTP API on loopback until SIGINT or SIGTERM.
// The live dashboard of its database is on the same address, at /dashboard/.
// With -webhook URL, the relay POSTs every integration message to URL (2xx
// acknowledges it); without, a subscriber inside the process takes them.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
	"github.com/go-es-workshop/kit/internal/web"
	bank "github.com/go-es-workshop/kit/stages/08-production"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on (loopback by default)")
	dbPath := flag.String("db", ".data/"+bank.Stage.Slug+".db", "SQLite database file, created if missing")
	webhook := flag.String("webhook", "", "URL the relay POSTs each integration message to (default: a subscriber inside this process)")
	snapshotEvery := flag.Int64("snapshot-every", bank.DefaultSnapshotEvery, "events between two snapshots of an account; below 0, none")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop) // after the first signal, a second one stops at once
	if *snapshotEvery == 0 {
		fmt.Fprintln(os.Stderr, "-snapshot-every must not be 0: a number of events, or below 0 for no snapshots")
		os.Exit(2)
	}
	if err := run(ctx, *addr, *dbPath, *webhook, *snapshotEvery, log); err != nil {
		log.Error("server stopped", "error", err)
		os.Exit(1)
	}
	log.Info("server stopped cleanly")
}

func run(ctx context.Context, addr, dbPath, webhook string, snapshotEvery int64, log *slog.Logger) error {
	opts := bank.Options{SnapshotEvery: snapshotEvery}
	publisher := "in-process subscriber"
	if webhook != "" {
		publisher = "webhook " + webhook
		w, err := bank.NewWebhook(webhook)
		if err != nil {
			return err
		}
		opts.Publisher = w
	}
	db, err := sqlitedb.Open(dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	s, err := bank.Start(ctx, db, log, opts)
	if err != nil {
		return err
	}
	defer s.Wait() // the relay gives its lease back before the database closes
	live, err := web.MountDashboard(ctx, s.Echo, dbPath, bank.Stage.Slug)
	if err != nil {
		return err
	}
	defer live.Close()
	return web.Serve(ctx, s.Echo, addr, func(a net.Addr) {
		log.Info(fmt.Sprintf("stage %d (%s) listening on http://%s", bank.Stage.Number, bank.Stage.Slug, a),
			"dashboard", "http://"+a.String()+web.DashboardPath+"/", "db", dbPath, "driver", sqlitedb.Driver(), "publisher", publisher)
	})
}
