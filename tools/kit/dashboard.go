package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/go-es-workshop/kit/tools/dashboard"
)

// kit dashboard serves the live view of a stage's database (tools/dashboard)
// beside the stage's own server, reading the same SQLite file: a presenter runs
// `make run-stage7 SOLUTION=1` in one terminal and `make dashboard` in another.

func runDashboard(args []string) error {
	flags := flag.NewFlagSet("dashboard", flag.ContinueOnError)
	dbPath := flags.String("db", "", "the stage's SQLite file (default: the one written last in .data/)")
	addr := flags.String("addr", "127.0.0.1:8090", "address to listen on (loopback by default)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	path := *dbPath
	if path == "" {
		var err error
		if path, err = newestStageDB(".data"); err != nil {
			return err
		}
	}
	db, err := dashboard.OpenReadOnly(path)
	if err != nil {
		return err
	}
	defer db.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (try -addr 127.0.0.1:8091)", *addr, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{
		Handler:           dashboard.Handler(ctx, db, dashboard.Options{Title: filepath.Base(path)}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	fmt.Printf("The dashboard of %s (read-only) is on http://%s/\n  on a projector: http://%s/?theme=projector\nCtrl-C stops it.\n", path, ln.Addr(), ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	// The watcher ends with ctx and closes the pages' streams, so this is quick.
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Println("\ndashboard stopped")
	return nil
}

// newestStageDB is the stage database in dir written to last: the one the
// server that runs now is most likely writing.
func newestStageDB(dir string) (string, error) {
	found, _ := filepath.Glob(filepath.Join(dir, "[0-9][0-9]-*.db"))
	var newest string
	var at time.Time
	for _, path := range found {
		info, err := os.Stat(path)
		if err == nil && info.ModTime().After(at) {
			newest, at = path, info.ModTime()
		}
	}
	if newest == "" {
		return "", fmt.Errorf("no stage database in %s/ yet: start a stage first (make run-stage7 SOLUTION=1), or name one with -db FILE", dir)
	}
	return newest, nil
}
