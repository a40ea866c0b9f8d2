// Package dashboard is a live view of a stage's database in the browser: the
// global log as it grows, one stream's events with their metadata, and, where
// the stage has them, the read models, the projections' checkpoints and lag,
// rebuilds, the outbox and the dead letters.
//
// It reads the tables directly, so it works on any stage from 2 on without
// knowing the stage's code, and it only reads: give it a read-only pool (the
// stage's db.Read, or sqlitedb.OpenReadOnly). One watcher goroutine looks for changes
// (watcher.go) and pushes each new state to every open page by Server-Sent
// Events (sse.go). The page, its script and its style are embedded (page.go);
// nothing is loaded from the network.
//
// A stage server mounts it with one line:
//
//	e.Any("/dashboard*", echo.WrapHandler(dashboard.Handler(ctx, db.Read, dashboard.Options{Prefix: "/dashboard"})))
//
// (internal/web gives every request a 10 s deadline: its timeout should skip
// /dashboard/live, or the page's stream ends every 10 s and the page
// reconnects a second later). `kit dashboard -db FILE` serves it on its own,
// beside a running server, on the same file.
package dashboard

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Options tune a dashboard. The zero value works at the root of a server.
type Options struct {
	// Title names what is shown, in the page's heading: the database file, or the stage.
	Title string
	// Prefix is the path the dashboard is mounted at ("/dashboard"); "" is the root.
	Prefix string
	// Poll is how often the watcher asks the database whether it changed (200 ms).
	Poll time.Duration
}

// DefaultPoll keeps an append on screen well within a second.
const DefaultPoll = 200 * time.Millisecond

// Dashboard serves the page and its live updates.
type Dashboard struct {
	db           *sql.DB
	opts         Options
	hub          *hub
	writeTimeout time.Duration // how long a page may take to accept an update
	snapshots    atomic.Int64  // snapshots read so far: the tests count them
}

// New makes a dashboard of db. Nothing is read until Run runs and a page is open.
func New(db *sql.DB, opts Options) *Dashboard {
	if opts.Poll <= 0 {
		opts.Poll = DefaultPoll
	}
	if opts.Title == "" {
		opts.Title = "event store"
	}
	opts.Prefix = strings.TrimSuffix(opts.Prefix, "/")
	return &Dashboard{db: db, opts: opts, hub: newHub(), writeTimeout: 10 * time.Second}
}

// Handler is a dashboard whose watcher runs until ctx ends. While a page is
// open the watcher holds one connection of db's pool.
func Handler(ctx context.Context, db *sql.DB, opts Options) http.Handler {
	d := New(db, opts)
	go d.Run(ctx)
	return d
}

// ServeHTTP routes the dashboard's few paths, below its Prefix.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, d.opts.Prefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "the dashboard only reads", http.StatusMethodNotAllowed)
		return
	}
	secure(w.Header())
	switch path {
	case "":
		// The page's links are relative: they need the page at Prefix + "/".
		http.Redirect(w, r, d.opts.Prefix+"/", http.StatusMovedPermanently)
	case "/":
		d.servePage(w, r)
	case "/live":
		d.serveLive(w, r)
	case "/stream":
		d.serveStream(w, r)
	default:
		d.serveAsset(w, r, strings.TrimPrefix(path, "/"))
	}
}

// secure sets headers that keep the page to its own embedded assets: no script
// or style from anywhere else, none inline, no framing.
func secure(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}
