package browsertest

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/labstack/echo/v4"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
	"github.com/go-es-workshop/kit/internal/web"
)

const (
	shotBusy          = "/tmp/dash-shot-busy.png"
	shotBusyProjector = "/tmp/dash-shot-busy-projector.png"
)

// TestEveryPanelOfABusyDatabase shows the dashboard a stage 7 database in the
// middle of things, written here table by table as stage 7 lays them out: a
// rebuild half done, a projection behind, messages that fail and are parked,
// inputs a consumer parked, and hostile text in every panel.
func TestEveryPanelOfABusyDatabase(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "busy.db")
	db := busyDatabase(t, dbPath)
	dash := startDashboard(t, dbPath)
	ctx := startChromium(t)
	problems := watchConsole(ctx)

	do(t, ctx, chromedp.EmulateViewport(1280, 720), chromedp.Navigate(dash+"/dashboard/"))
	do(t, ctx, chromedp.Poll[chromedp.Void](`document.querySelectorAll('#projections progress').length === 1 && !document.querySelector('#dead-panel').hidden`,
		chromedp.WithPollingTimeout(3*time.Second)))
	position := appendEvent(t, db, "account-busy", "MoneyDeposited", 1, `{"amount":4200,"reference":"while you watch"}`)
	onPage(t, ctx, position)

	text := run(t, ctx, chromedp.Text(chromedp.CSS("main")))
	for _, want := range []string{
		hostile,                           // an owner, in the log and the read model
		`<img src=x onerror=alert(2)>`,    // a consumer's reason for parking
		"503 Service Unavailable",         // an outbox message's last error
		"green v2  15/41", "blue v1 live", // the rebuild beside the live build
		"AccountCredited", "v2", // a stored shape of an older release
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if n := run(t, ctx, chromedp.Evaluate[int](`document.images.length + document.scripts.length`)); n != 1 {
		t.Errorf("the page has %d images and scripts, want only its own script", n)
	}
	fits(t, ctx)
	save(t, shotBusy, run(t, ctx, chromedp.FullScreenshot(100)))
	do(t, ctx, chromedp.Navigate(dash+"/dashboard/?theme=projector"))
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS("#dead-panel")))
	fits(t, ctx)
	save(t, shotBusyProjector, run(t, ctx, chromedp.FullScreenshot(100)))
	for _, p := range problems.all() {
		t.Errorf("the browser's console: %s", p)
	}
}

// busyDatabase writes a stage 7 database in the middle of things.
func busyDatabase(t *testing.T, path string) *sqlitedb.DB {
	t.Helper()
	db, err := sqlitedb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	exec := func(query string, args ...any) {
		t.Helper()
		if _, err := db.Write.Exec(query, args...); err != nil {
			t.Fatalf("%v\n%s", err, query)
		}
	}
	for _, table := range stage7Schema {
		exec(table)
	}
	appendEvent(t, db, "account-ada", "AccountOpened", 1, `{"owner":"`+hostile+`","kind":"checking","currency":"EUR"}`)
	appendEvent(t, db, "account-grace", "AccountOpened", 2, `{"holder":{"name":"Grace Hopper","type":"person"},"kind":"savings","currency":"USD"}`)
	appendEvent(t, db, "account-ada", "AccountCredited", 1, `{"amount":5000,"reference":"first release"}`)
	for i := range 37 {
		appendEvent(t, db, []string{"account-ada", "account-grace"}[i%2], "MoneyDeposited", 1, fmt.Sprintf(`{"amount":%d,"reference":"payment %d"}`, 100+i, i))
	}
	exec(`INSERT INTO read_models VALUES ('accounts_by_owner', 'blue', 1, 'green', 2), ('account_transactions', 'blue', 1, NULL, NULL), ('daily_totals', 'green', 1, NULL, NULL)`)
	exec(`INSERT INTO checkpoints VALUES ('accounts_by_owner', 'blue', 40), ('accounts_by_owner', 'green', 15), ('account_transactions', 'blue', 32), ('daily_totals', 'green', 40)`)
	exec(`INSERT INTO accounts_by_owner_blue VALUES ('account-ada', ?, 'checking', 'EUR', 6900, 'open'), ('account-grace', 'Grace Hopper', 'savings', 'USD', 2100, 'open')`, hostile)
	for i := 1; i <= 12; i++ {
		status, attempts, lastError := "published", 1, ""
		switch {
		case i == 9:
			status, attempts, lastError = "parked", 8, "POST http://127.0.0.1:9090/messages: 503 Service Unavailable"
		case i > 9:
			status, attempts, lastError = "pending", 3, "POST http://127.0.0.1:9090/messages: 503 Service Unavailable"
		}
		exec(`INSERT INTO outbox (message_id, subject, type, payload, recorded_at, status, attempts, next_attempt_at, last_error)
			VALUES (?, 'account-ada', 'bank.account.v1.MoneyDeposited', '{}', 'now', ?, ?, 'now', ?)`, fmt.Sprint("m", i), status, attempts, lastError)
	}
	exec(`INSERT INTO dead_letters (outbox_id, message_id, type, subject, attempts, reason, parked_at)
		VALUES (9, 'm9', 'bank.account.v1.MoneyDeposited', 'account-ada', 8, 'gave up after 8 attempts: 503 Service Unavailable', '2026-05-01T10:00:00Z')`)
	exec(`INSERT INTO consumer_dead_letters (consumer, build, position, message_id, type, subject, data, reason, parked_at) VALUES
		('statements', '', NULL, 'm7', 'bank.account.v1.MoneyDeposited', 'account-grace', '{}', '<img src=x onerror=alert(2)>', '2026-05-01T10:01:00Z'),
		('daily_totals', 'green', 17, NULL, 'AccountFrozen', 'account-ada', '{}', 'unknown event type AccountFrozen', '2026-05-01T10:02:00Z')`)
	exec(`INSERT INTO statements VALUES ('account-ada', 'EUR', 6900, 19, 0, 'open')`)
	exec(`INSERT INTO processed_messages VALUES ('statements', 'm1', 'now'), ('statements', 'm2', 'now')`)
	return db
}

// appendEvent appends an event as the stages do, and returns its position.
func appendEvent(t *testing.T, db *sqlitedb.DB, stream, eventType string, schema int, data string) int64 {
	t.Helper()
	var position int64
	err := db.Write.QueryRowContext(context.Background(), `INSERT INTO events (event_id, stream_id, version, event_type, schema_version, data, metadata, recorded_at)
		VALUES (lower(hex(randomblob(16))), ?, (SELECT COALESCE(MAX(version), 0) + 1 FROM events WHERE stream_id = ?), ?, ?, ?, ?, ?)
		RETURNING global_position`, stream, stream, eventType, schema, data,
		`{"correlation_id":"busy-`+stream+`","causation_id":"c","user_id":"presenter"}`, time.Now().UTC().Format(time.RFC3339Nano)).Scan(&position)
	if err != nil {
		t.Fatal(err)
	}
	return position
}

// stage7Schema is stage 7's tables as solutions/07-upcasting creates them (the
// columns the dashboard reads; the read models' other tables left out).
var stage7Schema = []string{
	`CREATE TABLE events (global_position INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE,
		stream_id TEXT NOT NULL, version INTEGER NOT NULL, event_type TEXT NOT NULL, schema_version INTEGER NOT NULL,
		data TEXT NOT NULL, metadata TEXT NOT NULL, recorded_at TEXT NOT NULL, UNIQUE (stream_id, version))`,
	`CREATE TABLE read_models (projection TEXT PRIMARY KEY, live TEXT NOT NULL, live_version INTEGER NOT NULL, building TEXT, building_version INTEGER)`,
	`CREATE TABLE checkpoints (projection TEXT NOT NULL, build TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (projection, build))`,
	`CREATE TABLE accounts_by_owner_blue (account_id TEXT PRIMARY KEY, owner TEXT NOT NULL, kind TEXT NOT NULL, currency TEXT NOT NULL, balance INTEGER NOT NULL, status TEXT NOT NULL)`,
	`CREATE TABLE accounts_by_owner_green (account_id TEXT PRIMARY KEY, owner TEXT NOT NULL, kind TEXT NOT NULL, currency TEXT NOT NULL, balance INTEGER NOT NULL, status TEXT NOT NULL)`,
	`CREATE VIEW accounts_by_owner AS SELECT * FROM accounts_by_owner_blue`,
	`CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL UNIQUE, subject TEXT NOT NULL, type TEXT NOT NULL,
		payload TEXT NOT NULL, recorded_at TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
		next_attempt_at TEXT NOT NULL, last_error TEXT NOT NULL DEFAULT '', published_at TEXT)`,
	`CREATE INDEX outbox_undelivered ON outbox (id) WHERE status <> 'published'`,
	`CREATE TABLE dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, outbox_id INTEGER NOT NULL UNIQUE, message_id TEXT NOT NULL,
		type TEXT NOT NULL, subject TEXT NOT NULL, attempts INTEGER NOT NULL, reason TEXT NOT NULL, parked_at TEXT NOT NULL)`,
	`CREATE TABLE consumer_dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, consumer TEXT NOT NULL, build TEXT NOT NULL, position INTEGER,
		message_id TEXT, type TEXT NOT NULL, subject TEXT NOT NULL, data TEXT NOT NULL, reason TEXT NOT NULL, parked_at TEXT NOT NULL)`,
	`CREATE TABLE processed_messages (consumer TEXT NOT NULL, message_id TEXT NOT NULL, processed_at TEXT NOT NULL, PRIMARY KEY (consumer, message_id))`,
	`CREATE TABLE statements (account_id TEXT PRIMARY KEY, currency TEXT NOT NULL, balance INTEGER NOT NULL, deposits INTEGER NOT NULL, withdrawals INTEGER NOT NULL, status TEXT NOT NULL)`,
}

// startDashboard serves the dashboard of dbPath at /dashboard as a stage
// server mounts it, but with no stage: the database is written by the test.
func startDashboard(t *testing.T, dbPath string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e := echo.New()
	reader, err := web.MountDashboard(ctx, e, dbPath, filepath.Base(dbPath))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(func() {
		cancel() // ends the watcher and the page's stream, so Close does not wait for it
		srv.Close()
		_ = reader.Close()
	})
	return srv.URL
}
