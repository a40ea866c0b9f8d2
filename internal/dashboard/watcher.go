package dashboard

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"time"
)

// The watcher is the one reader of the database that the pages' updates come
// from, however many pages are open. While at least one is, it holds one
// connection and asks SQLite every Poll whether anything was committed since it
// last looked: PRAGMA data_version moves whenever another connection commits,
// to any table, so one cheap question covers the log's head, the checkpoints,
// the outbox and every table a later stage adds. Only then does it read a
// snapshot, and it sends it only if it differs from the last one sent (stage
// 5's relay renews its lease now and then, which changes nothing shown).
// While no page is open it holds no connection and asks nothing.

// Run is the watcher. It returns once ctx ends, after closing every page's
// stream, so that an http.Server's Shutdown does not wait for them.
func (d *Dashboard) Run(ctx context.Context) {
	defer d.hub.close()
	for {
		if d.hub.watched() == 0 {
			d.hub.forget()
			select {
			case <-ctx.Done():
				return
			case <-d.hub.wake:
			}
		}
		err := d.watch(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil { // the database went away or is locked: say so, and try again
			d.publish(Snapshot{Error: "cannot read the database: " + err.Error()})
			sleep(ctx, time.Second)
		}
	}
}

// watch polls the database on one connection until no page is open, ctx ends,
// or a read fails.
func (d *Dashboard) watch(ctx context.Context) error {
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	seen := int64(-1)
	var sent []byte
	for d.hub.watched() > 0 {
		version, err := dataVersion(ctx, conn)
		if err != nil {
			return err
		}
		if version != seen {
			snap, err := readSnapshot(ctx, conn)
			if err != nil {
				return err
			}
			d.snapshots.Add(1)
			if payload := marshal(snap); !bytes.Equal(payload, sent) {
				d.hub.publish(payload)
				sent = payload
			}
			seen = version
		}
		if !sleep(ctx, d.opts.Poll) {
			return nil
		}
	}
	return nil
}

// dataVersion is SQLite's count of commits by other connections, as this connection sees it.
func dataVersion(ctx context.Context, conn *sql.Conn) (int64, error) {
	var v int64
	err := conn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v)
	return v, err
}

// publish sends a snapshot to every page.
func (d *Dashboard) publish(snap Snapshot) { d.hub.publish(marshal(snap)) }

// marshal is a snapshot as one line of JSON, as an SSE data field needs it.
// encoding/json escapes <, > and & in strings, so no value can close a tag.
func marshal(snap Snapshot) []byte {
	b, err := json.Marshal(snap)
	if err != nil { // only plain types: cannot happen
		b, _ = json.Marshal(Snapshot{Error: err.Error()})
	}
	return b
}

// sleep waits for wait, or less if ctx ends; it reports whether ctx is still alive.
func sleep(ctx context.Context, wait time.Duration) bool {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
