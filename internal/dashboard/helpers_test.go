package dashboard

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/go-es-workshop/kit/internal/sqlitedb"
)

// The tests build the tables as the stages create them (solutions/0N-*), write
// to them through the stages' own sqlitedb, and read them with the dashboard
// through OpenReadOnly, as `kit dashboard` does beside a running server.

var stage2Tables = []string{`CREATE TABLE events (
	global_position INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE,
	stream_id TEXT NOT NULL, version INTEGER NOT NULL, event_type TEXT NOT NULL,
	schema_version INTEGER NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL,
	recorded_at TEXT NOT NULL, UNIQUE (stream_id, version))`}

var stage4Tables = append(stage2Tables,
	`CREATE TABLE checkpoints (projection TEXT PRIMARY KEY, position INTEGER NOT NULL)`,
	`CREATE TABLE accounts_by_owner (account_id TEXT PRIMARY KEY, owner TEXT NOT NULL, kind TEXT NOT NULL,
		currency TEXT NOT NULL, balance INTEGER NOT NULL, status TEXT NOT NULL)`,
)

var stage5Tables = append(stage4Tables,
	`CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL UNIQUE,
		subject TEXT NOT NULL, type TEXT NOT NULL, payload TEXT NOT NULL, recorded_at TEXT NOT NULL,
		status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'published', 'parked')),
		attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT NOT NULL, last_error TEXT NOT NULL DEFAULT '',
		published_at TEXT)`,
	`CREATE INDEX outbox_undelivered ON outbox (id) WHERE status <> 'published'`,
	`CREATE TABLE dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, outbox_id INTEGER NOT NULL UNIQUE REFERENCES outbox (id),
		message_id TEXT NOT NULL, type TEXT NOT NULL, subject TEXT NOT NULL, attempts INTEGER NOT NULL,
		reason TEXT NOT NULL, parked_at TEXT NOT NULL)`,
)

// stage7Tables: stage 6's blue-green read models (a view shows the live build)
// and consumers; stage 7 adds no table.
var stage7Tables = append(append([]string{}, stage5Tables[0], stage5Tables[3], stage5Tables[4], stage5Tables[5]),
	`CREATE TABLE read_models (projection TEXT PRIMARY KEY, live TEXT NOT NULL CHECK (live IN ('blue', 'green')),
		live_version INTEGER NOT NULL, building TEXT CHECK (building IN ('blue', 'green')), building_version INTEGER)`,
	`CREATE TABLE checkpoints (projection TEXT NOT NULL, build TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (projection, build))`,
	`CREATE TABLE accounts_by_owner_blue (account_id TEXT PRIMARY KEY, owner TEXT NOT NULL, kind TEXT NOT NULL,
		currency TEXT NOT NULL, balance INTEGER NOT NULL, status TEXT NOT NULL)`,
	`CREATE TABLE accounts_by_owner_green (account_id TEXT PRIMARY KEY, owner TEXT NOT NULL, kind TEXT NOT NULL,
		currency TEXT NOT NULL, balance INTEGER NOT NULL, status TEXT NOT NULL)`,
	`CREATE VIEW accounts_by_owner AS SELECT * FROM accounts_by_owner_blue`,
	`CREATE TABLE consumer_dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, consumer TEXT NOT NULL, build TEXT NOT NULL,
		position INTEGER, message_id TEXT, type TEXT NOT NULL, subject TEXT NOT NULL, data TEXT NOT NULL,
		reason TEXT NOT NULL, parked_at TEXT NOT NULL)`,
	`CREATE TABLE processed_messages (consumer TEXT NOT NULL, message_id TEXT NOT NULL, processed_at TEXT NOT NULL,
		PRIMARY KEY (consumer, message_id))`,
	`CREATE TABLE statements (account_id TEXT PRIMARY KEY, currency TEXT NOT NULL, balance INTEGER NOT NULL,
		deposits INTEGER NOT NULL, withdrawals INTEGER NOT NULL, status TEXT NOT NULL)`,
)

// bank is a stage's database: the stage's writer, and the dashboard's reader.
type bank struct {
	t      *testing.T
	path   string
	writer *sqlitedb.DB
	reader *sql.DB
}

func newBank(t *testing.T, tables []string) *bank {
	t.Helper()
	path := filepath.Join(t.TempDir(), "stage.db")
	writer, err := sqlitedb.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, writer.Close()) })
	for _, table := range tables {
		_, err := writer.Write.Exec(table)
		require.NoError(t, err, table)
	}
	reader, err := sqlitedb.OpenReadOnly(path)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, reader.Close()) })
	return &bank{t: t, path: path, writer: writer, reader: reader}
}

func (b *bank) exec(query string, args ...any) {
	b.t.Helper()
	_, err := b.writer.Write.Exec(query, args...)
	require.NoError(b.t, err, query)
}

// appendEvent appends an event to stream as the stages do, and returns its position.
func (b *bank) appendEvent(stream, eventType string, schema int, data, correlation string) int64 {
	b.t.Helper()
	var position int64
	err := b.writer.Write.QueryRow(`INSERT INTO events (event_id, stream_id, version, event_type, schema_version, data, metadata, recorded_at)
		VALUES (?, ?, (SELECT COALESCE(MAX(version), 0) + 1 FROM events WHERE stream_id = ?), ?, ?, ?, ?, ?)
		RETURNING global_position`,
		fmt.Sprintf("evt-%d", time.Now().UnixNano()), stream, stream, eventType, schema, data,
		fmt.Sprintf(`{"correlation_id":%q,"causation_id":"cause-1","user_id":"presenter"}`, correlation),
		time.Now().UTC().Format(time.RFC3339Nano)).Scan(&position)
	require.NoError(b.t, err)
	return position
}

func (b *bank) deposit(stream string, amount int, reference string) int64 {
	b.t.Helper()
	return b.appendEvent(stream, "MoneyDeposited", 1, fmt.Sprintf(`{"amount":%d,"reference":%q}`, amount, reference), "corr-"+reference)
}

// snapshot reads one snapshot as the watcher does.
func (b *bank) snapshot() Snapshot {
	b.t.Helper()
	conn, err := b.reader.Conn(context.Background())
	require.NoError(b.t, err)
	defer conn.Close()
	snap, err := readSnapshot(context.Background(), conn)
	require.NoError(b.t, err)
	return snap
}

// serve runs a dashboard of b with its watcher, until the test ends.
func (b *bank) serve(opts Options) (*Dashboard, *httptest.Server, context.CancelFunc) {
	b.t.Helper()
	d := New(b.reader, opts)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { d.Run(ctx); close(stopped) }()
	srv := httptest.NewServer(d)
	b.t.Cleanup(func() {
		cancel()
		<-stopped
		srv.Close()
	})
	return d, srv, cancel
}

// sse is one page's stream of snapshots.
type sse struct {
	t         *testing.T
	snapshots chan Snapshot
	raw       chan string // each snapshot's data as sent
	cancel    context.CancelFunc
	ended     chan struct{}
}

func listen(t *testing.T, url string) *sse {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/live", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	s := &sse{t: t, snapshots: make(chan Snapshot, 1000), raw: make(chan string, 1000), cancel: cancel, ended: make(chan struct{})}
	go func() {
		defer close(s.ended)
		defer resp.Body.Close()
		lines := bufio.NewScanner(resp.Body)
		lines.Buffer(make([]byte, 1<<20), 1<<20)
		event := ""
		for lines.Scan() {
			line := lines.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "snapshot":
				var snap Snapshot
				data := strings.TrimPrefix(line, "data: ")
				if json.Unmarshal([]byte(data), &snap) == nil {
					s.raw <- data
					s.snapshots <- snap
				}
			}
		}
	}()
	t.Cleanup(cancel)
	return s
}

// waitHead waits until a snapshot's head is at least position, and returns it.
func (s *sse) waitHead(position int64, within time.Duration) (Snapshot, time.Duration) {
	s.t.Helper()
	start := time.Now()
	deadline := time.After(within)
	for {
		select {
		case snap := <-s.snapshots:
			if snap.Head >= position {
				return snap, time.Since(start)
			}
		case <-deadline:
			s.t.Fatalf("no snapshot with head %d within %s", position, within)
		}
	}
}

// eventually waits for cond, checking every 10 ms.
func eventually(t *testing.T, within time.Duration, cond func() bool, what string) {
	t.Helper()
	require.Eventually(t, cond, within, 10*time.Millisecond, what)
}
