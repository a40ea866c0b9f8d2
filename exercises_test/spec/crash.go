package spec

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-es-workshop/kit/internal/exercise"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	"github.com/go-es-workshop/kit/internal/web"
)

// The crash test runs the stage's server in a child process — the test binary
// itself, started again with KIT_SERVE_DB set — so that it can be killed with
// SIGKILL, the way a crash or the kernel's OOM killer ends a process: no deferred
// cleanup, no graceful shutdown. The child is the same binary, so it runs exactly
// the code under test (the learner's, the solution's, or a mutant's).
const (
	serveDBEnv   = "KIT_SERVE_DB"
	serveAddrEnv = "KIT_SERVE_ADDR_FILE"
)

// ServeIfChild serves the stage when this process is a crash test's child, and
// never returns then; otherwise it returns at once. Each stage's TestMain calls it.
func ServeIfChild(newServer NewServerFunc) {
	path := os.Getenv(serveDBEnv)
	if path == "" {
		return
	}
	go exitWithParent()
	err := serveChild(path, newServer)
	fmt.Fprintln(os.Stderr, "crash test child:", err)
	os.Exit(3)
}

// exitWithParent ends the child once its parent is gone. The parent holds the
// other end of the child's stdin, so the read ends (EOF) when the parent exits,
// however it exits: a test binary stopped by its timeout leaves no server running.
func exitWithParent() {
	_, _ = io.Copy(io.Discard, os.Stdin)
	os.Exit(4)
}

func serveChild(path string, newServer NewServerFunc) error {
	db, err := sqlitedb.Open(path)
	if err != nil {
		return err
	}
	// Errors only: the parent reads them to explain a failure (an unfinished task's TODO).
	e, err := newServer(context.Background(), db, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	if err != nil {
		return err
	}
	return web.Serve(context.Background(), e, "127.0.0.1:0", func(a net.Addr) {
		_ = os.WriteFile(os.Getenv(serveAddrEnv), []byte(a.String()), 0o644)
	})
}

// child is one run of the server in a child process.
type child struct {
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:port
	stderr *ServerLog
}

// startChild starts the server on the database at path and waits (bounded) until it listens.
func startChild(c *Check, path string) *child {
	c.t.Helper()
	addrFile := filepath.Join(c.t.TempDir(), "addr")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveDBEnv+"="+path, serveAddrEnv+"="+addrFile)
	stderr := &ServerLog{}
	cmd.Stderr = stderr
	parentEnd, err := cmd.StdinPipe() // open while this process lives: see exitWithParent
	c.NoError(err, "a pipe to the child (test setup)")
	c.NoError(cmd.Start(), "starting the server in a child process")
	c.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); _ = parentEnd.Close() })
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if addr, err := os.ReadFile(addrFile); err == nil && len(addr) > 0 {
			return &child{cmd: cmd, base: "http://" + string(addr), stderr: stderr}
		}
		time.Sleep(10 * time.Millisecond) // polling a file, bounded by the deadline
	}
	c.Fail("the server listening within 15 s", "it did not start: "+stderr.String())
	return nil
}

// explainTodo stops the test with the usual message when the child's log shows
// an unfinished task's TODO error.
func (ch *child) explainTodo(c *Check) {
	c.t.Helper()
	if todo, ok := exercise.ParseTodo(ch.stderr.String()); ok {
		c.t.Fatal(c.notDone(todo))
	}
}

// kill ends the child with SIGKILL and waits for it.
func (ch *child) kill() {
	_ = ch.cmd.Process.Kill()
	_ = ch.cmd.Wait()
}

var crashClient = &http.Client{Timeout: 5 * time.Second}

// post sends a JSON body and returns the status and the decoded answer (0 when the request failed).
func (ch *child) post(path, body string) (int, map[string]any) {
	resp, err := crashClient.Post(ch.base+path, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (ch *child) get(c *Check, path string) map[string]any {
	c.t.Helper()
	resp, err := crashClient.Get(ch.base + path)
	c.NoError(err, "GET "+path+" after the restart")
	defer resp.Body.Close()
	var out map[string]any
	c.NoError(json.NewDecoder(resp.Body).Decode(&out), "decoding GET "+path)
	c.That(resp.StatusCode == http.StatusOK, "GET "+path+" answers 200 after the restart", fmt.Sprintf("%d %v", resp.StatusCode, out))
	return out
}

// CheckACrashLosesNoAcknowledgedWrite kills the server with SIGKILL while four
// clients deposit 1 each as fast as they can (loopback only, bounded in count and
// time), restarts it on the same database file and requires that every deposit
// the server acknowledged is there, that none was invented, and (from stage 2)
// that the stream has no gap.
func CheckACrashLosesNoAcknowledgedWrite(c *Check, withEvents bool) {
	c.t.Helper()
	path := filepath.Join(c.t.TempDir(), "bank.db")
	first := startChild(c, path)
	c.Doing("open an account on the child server")
	status, opened := first.post("/accounts", `{"owner":"Ada","kind":"savings","currency":"EUR"}`)
	first.explainTodo(c)
	c.That(status == http.StatusCreated, "201 Created", fmt.Sprintf("%d %v", status, opened))
	id, _ := opened["id"].(string)

	var sent, acked, refused atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := 0; i < 2000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				sent.Add(1)
				switch status, _ := first.post("/accounts/"+id+"/deposits", `{"amount":1}`); status {
				case http.StatusOK:
					acked.Add(1)
				case 0:
					return // the server is gone
				case http.StatusConflict:
					// stage 2 does not retry a conflict: refused, nothing written
				default:
					refused.Add(1)
				}
			}
		})
	}
	c.Doing("deposit 1 from four clients, SIGKILL the server after 200 acknowledged deposits")
	deadline := time.Now().Add(20 * time.Second)
	for acked.Load() < 200 && refused.Load() < 20 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // polling a counter, bounded by the deadline
	}
	first.kill()
	close(stop)
	wg.Wait()
	first.explainTodo(c)
	c.That(acked.Load() >= 200, "200 deposits acknowledged before the kill",
		fmt.Sprintf("%d of %d acknowledged, %d refused\nserver log: %s", acked.Load(), sent.Load(), refused.Load(), lastError(first.stderr.String())))

	c.Doing("restart the server on the same file after the kill (%d deposits acknowledged, %d sent)", acked.Load(), sent.Load())
	second := startChild(c, path)
	balance := int64(second.get(c, "/accounts/"+id)["balance"].(float64))
	c.That(balance >= acked.Load() && balance <= sent.Load(),
		fmt.Sprintf("a balance from %d (every acknowledged deposit) to %d (every one sent)", acked.Load(), sent.Load()),
		fmt.Sprintf("balance %d", balance))
	if withEvents {
		events, _ := second.get(c, "/accounts/"+id+"/events")["events"].([]any)
		for i, e := range events {
			v := e.(map[string]any)["version"].(float64)
			c.That(int64(v) == int64(i+1), "versions 1, 2, 3... without a gap after the crash", fmt.Sprintf("event %d has version %v", i+1, v))
		}
		c.Equal(int(balance)+1, len(events), "events in the stream (AccountOpened and one per deposit)")
	}
	second.kill()
}
