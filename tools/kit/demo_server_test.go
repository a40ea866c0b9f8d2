package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDemoListenLineGivesTheAddressTheOSPicked(t *testing.T) {
	line := `time=2026-12-01T23:26:06.706Z level=INFO msg="stage 1 (01-crud) listening on http://127.0.0.1:39679" db=/tmp/x.db driver="mattn/go-sqlite3 (cgo)"`
	m := listenLine.FindStringSubmatch(line)
	require.NotNil(t, m)
	require.Equal(t, "127.0.0.1:39679", m[1])
	require.Equal(t, "[::1]:8080", listenLine.FindStringSubmatch(`msg="listening on http://[::1]:8080"`)[1])
	require.Nil(t, listenLine.FindStringSubmatch(`level=INFO msg=request method=GET path=/healthz`))
}

func TestDemoServerLogMatchingAndAwait(t *testing.T) {
	l := newServerLog()
	l.follow(strings.NewReader("time=1 level=INFO msg=request path=/a status=200 correlation_id=phone\n" +
		"time=2 level=INFO msg=request path=/a status=422 correlation_id=laptop\n" +
		"time=3 level=INFO msg=\"stage 3 listening on http://127.0.0.1:1234\"\n"))
	require.Equal(t, []string{"time=2 level=INFO msg=request path=/a status=422 correlation_id=laptop"}, l.matching("msg=request", "laptop"))
	require.Len(t, l.await(2, time.Second, "msg=request"), 2)
	start := time.Now()
	require.Len(t, l.await(3, 50*time.Millisecond, "msg=request"), 2, "await gives up after its limit with what there is")
	require.Less(t, time.Since(start), time.Second)
	require.Equal(t, "127.0.0.1:1234", <-l.listening)
	require.Equal(t, "level=INFO msg=request", withoutTime("time=2026-12-01T23:26:06Z level=INFO msg=request"))
	require.Equal(t, "no time here", withoutTime("no time here"))
}

func TestDemoFreshDatabasesAreNewFilesInTheDemosOwnFolder(t *testing.T) {
	d, err := newDemo(stage{Number: 1, Slug: "01-crud"}, &strings.Builder{})
	require.NoError(t, err)
	first, second := d.freshDB(), d.freshDB()
	require.NotEqual(t, first, second)
	for _, db := range []string{first, second} {
		require.Equal(t, d.dir, filepath.Dir(db))
		_, err := os.Stat(db)
		require.ErrorIs(t, err, os.ErrNotExist, "no server has used it")
	}
	other, err := newDemo(stage{Number: 1, Slug: "01-crud"}, &strings.Builder{})
	require.NoError(t, err)
	require.NotEqual(t, d.dir, other.dir, "each demo run has a folder of its own")
	require.NoError(t, os.WriteFile(first, []byte("data"), 0o644))
	require.NoError(t, d.close())
	require.NoError(t, other.close())
	_, err = os.Stat(d.dir)
	require.ErrorIs(t, err, os.ErrNotExist, "close removes the folder and its databases")
}

// fakeServer writes a shell script that behaves as a stage's server does for
// startServer: it notes its arguments, says where it listens (an httptest
// server's address, which answers /healthz), and runs until it is stopped.
func fakeServer(t *testing.T, addr string) (bin, argsFile string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake server is a shell script")
	}
	dir := t.TempDir()
	bin, argsFile = filepath.Join(dir, "server"), filepath.Join(dir, "args")
	script := "#!/bin/sh\necho \"$@\" > '" + argsFile + "'\n" +
		"echo 'time=x level=INFO msg=\"stage 1 (01-crud) listening on http://" + addr + "\"' >&2\n" +
		"exec sleep 30\n"
	require.NoError(t, os.WriteFile(bin, []byte(script), 0o755))
	return bin, argsFile
}

func TestDemoStartServerOnPortZeroReadsItsAddressAndWaitsForHealth(t *testing.T) {
	health := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			_, _ = w.Write([]byte(`{"status":"ok"}`))
			return
		}
		http.NotFound(w, r)
	}))
	defer health.Close()
	addr := strings.TrimPrefix(health.URL, "http://")
	bin, argsFile := fakeServer(t, addr)
	db := filepath.Join(t.TempDir(), "bank-1.db")

	srv, err := startServer(bin, db, "-webhook", "http://sink/messages")
	require.NoError(t, err)
	require.Equal(t, health.URL, srv.base)
	args, err := os.ReadFile(argsFile)
	require.NoError(t, err)
	require.Equal(t, "-addr 127.0.0.1:0 -db "+db+" -webhook http://sink/messages\n", string(args), "the OS picks the port")
	status, _, err := srv.call(http.MethodGet, "/healthz", nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)

	srv.stop()
	select {
	case <-srv.done:
	default:
		t.Fatal("stop returned before the server exited")
	}
}

func TestDemoStartServerThatExitsEarlySaysWhy(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake server is a shell script")
	}
	bin := filepath.Join(t.TempDir(), "server")
	require.NoError(t, os.WriteFile(bin, []byte("#!/bin/sh\necho 'listen on 127.0.0.1:0: address already in use' >&2\nexit 1\n"), 0o755))
	_, err := startServer(bin, filepath.Join(t.TempDir(), "bank.db"))
	require.ErrorContains(t, err, "the server stopped before it listened")
	require.ErrorContains(t, err, "address already in use", "its log says why")
}
