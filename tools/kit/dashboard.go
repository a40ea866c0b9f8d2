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

	"github.com/go-es-workshop/kit/internal/dashboard"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	"github.com/go-es-workshop/kit/internal/web"
)

// kit dashboard serves the live view of a stage's database (internal/dashboard)
// on its own, read-only. Every stage server from stage 2 on serves it too, at
// /dashboard/; this one is for a database whose server is stopped (after a demo
// script or a crash test).

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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	url, served, err := serveDashboard(ctx, path, *addr)
	if err != nil {
		return err
	}
	fmt.Printf("The dashboard of %s (read-only) is on %s\n  on a projector: %s?theme=projector\nCtrl-C stops it.\n", path, url, url)
	if err := <-served; err != nil {
		return err
	}
	fmt.Println("\ndashboard stopped")
	return nil
}

// serveDashboard serves the dashboard of the SQLite file at path on addr until
// ctx ends; served reports how the server ended, once it has shut down (the
// watcher ends with ctx and closes the pages' streams, so that is quick).
func serveDashboard(ctx context.Context, path, addr string) (url string, served <-chan error, err error) {
	db, err := sqlitedb.OpenReadOnly(path)
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		db.Close()
		return "", nil, fmt.Errorf("listen on %s: %w (try -addr 127.0.0.1:8091)", addr, err)
	}
	// At /dashboard/, as the stage servers mount it, so that one address works on both;
	// / leads there.
	mux := http.NewServeMux()
	mux.Handle(web.DashboardPath+"/", dashboard.Handler(ctx, db, dashboard.Options{Title: filepath.Base(path), Prefix: web.DashboardPath}))
	mux.Handle("/{$}", http.RedirectHandler(web.DashboardPath+"/", http.StatusFound))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() {
		defer db.Close()
		serving := make(chan error, 1)
		go func() { serving <- srv.Serve(ln) }()
		select {
		case err := <-serving:
			done <- err
			return
		case <-ctx.Done():
		}
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
			done <- err
			return
		}
		done <- nil
	}()
	return "http://" + ln.Addr().String() + web.DashboardPath + "/", done, nil
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
