package dashboard

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAnAppendReachesThePageWithinASecond(t *testing.T) {
	b := newBank(t, stage2Tables)
	b.deposit(ada, 100, "first")
	_, srv, _ := b.serve(Options{}) // the default poll, 200 ms
	page := listen(t, srv.URL)
	page.waitHead(1, time.Second)

	var slowest time.Duration
	for i := range 5 {
		start := time.Now()
		position := b.deposit(ada, 200+i, fmt.Sprint("deposit ", i))
		snap, _ := page.waitHead(position, time.Second)
		took := time.Since(start)
		slowest = max(slowest, took)
		require.Equal(t, position, snap.Log[0].Position, "the new event is on top")
	}
	t.Logf("slowest of 5 appends to reach the page: %s", slowest.Round(time.Millisecond))
}

func TestOneWatcherFeedsEveryPage(t *testing.T) {
	for _, pages := range []int{2, 10} {
		t.Run(fmt.Sprint(pages, " pages"), func(t *testing.T) {
			b := newBank(t, stage2Tables)
			b.deposit(ada, 100, "first")
			d, srv, _ := b.serve(Options{})
			var all []*sse
			for range pages {
				p := listen(t, srv.URL)
				p.waitHead(1, time.Second)
				all = append(all, p)
			}
			eventually(t, time.Second, func() bool { return d.hub.watched() == pages }, "every page is subscribed")
			time.Sleep(2 * DefaultPoll) // the watcher settles on the state every page has
			before := d.snapshots.Load()

			start := time.Now()
			position := b.deposit(ada, 200, "one append")
			for _, p := range all {
				p.waitHead(position, time.Second)
			}
			t.Logf("%d pages got the append after %s", pages, time.Since(start).Round(time.Millisecond))
			require.LessOrEqual(t, d.snapshots.Load()-before, int64(2), "one append, one read of the database, however many pages")
		})
	}
}

func TestAPageThatStopsReadingHoldsUpNoOne(t *testing.T) {
	b := newBank(t, stage2Tables)
	b.deposit(ada, 100, "first")
	d := New(b.reader, Options{Poll: 20 * time.Millisecond})
	d.writeTimeout = 300 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.Run(ctx)
	srv := tinyBuffers(t, d)

	stuck := stuckPage(t, srv.URL)
	defer stuck.Close()
	page := listen(t, srv.URL)
	page.waitHead(1, time.Second)
	eventually(t, time.Second, func() bool { return d.hub.watched() == 2 }, "both pages are subscribed")

	// Every snapshot is some 20 kB, far more than the stuck page's buffers hold.
	long := strings.Repeat("a long reference that fills the stuck page's buffers ", 3)
	for i := range 30 {
		position := b.deposit(ada, i+1, long)
		page.waitHead(position, time.Second) // each one reaches the page that reads
	}
	eventually(t, 2*time.Second, func() bool { return d.hub.watched() == 1 }, "the stuck page is dropped once a write to it times out")
	position := b.deposit(ada, 1, "after")
	page.waitHead(position, time.Second)
}

// tinyBuffers serves d with a send buffer of a few kilobytes per connection,
// so that a page that stops reading blocks its writer after a snapshot or two.
func tinyBuffers(t *testing.T, d *Dashboard) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(d)
	srv.Listener = smallSendBuffers{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

type smallSendBuffers struct{ net.Listener }

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tcp, ok := c.(*net.TCPConn); ok {
		_ = tcp.SetWriteBuffer(4096)
	}
	return c, err
}

// stuckPage opens the live stream with a small receive buffer and never reads it.
func stuckPage(t *testing.T, url string) net.Conn {
	t.Helper()
	dialer := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	conn, err := dialer.Dial("tcp", strings.TrimPrefix(url, "http://"))
	require.NoError(t, err)
	_, err = fmt.Fprintf(conn, "GET /live HTTP/1.1\r\nHost: dashboard\r\n\r\n")
	require.NoError(t, err)
	status, err := bufio.NewReaderSize(conn, 16).ReadString('\n') // the status line, then nothing more
	require.NoError(t, err)
	require.Contains(t, status, "200")
	return conn
}

func TestTheHubNeverWaitsForAMailbox(t *testing.T) {
	h := newHub()
	asleep, awake := h.subscribe(), h.subscribe()
	done := make(chan struct{})
	go func() {
		for i := range 1000 {
			h.publish(fmt.Appendf(nil, "snapshot %d", i))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("publish waited for a page that does not read")
	}
	require.Equal(t, "snapshot 999", string(<-asleep.mailbox), "a page that was away gets the newest state, not a backlog")
	require.Equal(t, "snapshot 999", string(<-awake.mailbox))
	late := h.subscribe()
	require.Equal(t, "snapshot 999", string(<-late.mailbox), "a page that arrives now starts from the newest state")
}

func TestPagesThatLeaveAreDroppedAndTheWatcherRests(t *testing.T) {
	b := newBank(t, stage2Tables)
	b.deposit(ada, 100, "first")
	d, srv, _ := b.serve(Options{})
	var pages []*sse
	for range 3 {
		p := listen(t, srv.URL)
		p.waitHead(1, time.Second)
		pages = append(pages, p)
	}
	require.Equal(t, 3, d.hub.watched())
	for _, p := range pages {
		p.cancel()
	}
	eventually(t, time.Second, func() bool { return d.hub.watched() == 0 }, "the pages are dropped")
	eventually(t, time.Second, func() bool { return b.reader.Stats().InUse == 0 }, "with no page open, the watcher holds no connection")
	rested := d.snapshots.Load()
	b.deposit(ada, 1, "nobody watches")
	time.Sleep(3 * DefaultPoll)
	require.Equal(t, rested, d.snapshots.Load(), "nobody watches: nothing is read")

	p := listen(t, srv.URL)
	p.waitHead(2, time.Second) // and a new page wakes it
}

func TestStoppingEndsEveryStream(t *testing.T) {
	b := newBank(t, stage2Tables)
	d := New(b.reader, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { d.Run(ctx); close(stopped) }()
	srv := httptest.NewServer(d)
	defer srv.Close()
	page := listen(t, srv.URL)
	page.waitHead(0, time.Second)

	cancel()
	select {
	case <-stopped:
	case <-time.After(time.Second):
		t.Fatal("the watcher did not stop with its context")
	}
	select {
	case <-page.ended:
	case <-time.After(time.Second):
		t.Fatal("an open stream did not end when the dashboard stopped")
	}
	resp, err := http.Get(srv.URL + "/live")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	eventually(t, time.Second, func() bool { return b.reader.Stats().InUse == 0 }, "the watcher's connection is given back")
}
