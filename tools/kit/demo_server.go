package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A demo script's server is a stage's solution server started on a fresh
// database in a temporary folder, on a port the OS picks: it is given
// -addr 127.0.0.1:0 and says in its first log line which port it got, so no
// other program can take the port between a check and the start, and a demo
// never meets the data of a demo before it.

// demoServer is one running server of a demo script.
type demoServer struct {
	db   string // its database file
	base string // http://127.0.0.1:PORT
	cmd  *exec.Cmd
	log  *serverLog
	done chan struct{} // closed when the process has exited
}

// startServer starts the server binary bin on the database file db, with extra
// flags (-webhook URL), and waits until it answers GET /healthz.
func startServer(bin, db string, extra ...string) (*demoServer, error) {
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-db", db}, extra...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	s := &demoServer{db: db, cmd: cmd, log: newServerLog(), done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		s.log.follow(stderr) // to the end of the log first: Wait closes the pipe
		_ = cmd.Wait()
		close(s.done)
	}()
	if err := s.awaitReady(30 * time.Second); err != nil {
		s.kill()
		return nil, err
	}
	return s, nil
}

// awaitReady waits for the "listening on" line, then for GET /healthz.
func (s *demoServer) awaitReady(limit time.Duration) error {
	deadline := time.After(limit)
	select {
	case addr := <-s.log.listening:
		s.base = "http://" + addr
	case <-s.done:
		return fmt.Errorf("the server stopped before it listened:\n%s", s.log.text())
	case <-deadline:
		return fmt.Errorf("the server did not say where it listens within %s:\n%s", limit, s.log.text())
	}
	for {
		if status, _, err := s.call(http.MethodGet, "/healthz", nil); err == nil && status == http.StatusOK {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("the server stopped before it was healthy:\n%s", s.log.text())
		case <-deadline:
			return fmt.Errorf("%s/healthz did not answer 200 within %s", s.base, limit)
		case <-time.After(50 * time.Millisecond): // polling a server that is starting, bounded by the deadline
		}
	}
}

// stop asks the server to stop (SIGINT, as Ctrl-C would) and kills it if it has
// not stopped within 15 s.
func (s *demoServer) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		s.kill()
	}
}

// kill ends the server at once (SIGKILL: no clean-up, as in a crash).
func (s *demoServer) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// demoClient bounds each request of a demo: a server that hangs fails the demo.
var demoClient = &http.Client{Timeout: 20 * time.Second}

// call sends one request, body as JSON, headers as name/value pairs; it
// returns the status and the body of the answer.
func (s *demoServer) call(method, path string, body any, headers ...string) (int, []byte, error) {
	return s.callContext(context.Background(), method, path, body, headers...)
}

// callContext is call with a context (a collision traces its requests).
func (s *demoServer) callContext(ctx context.Context, method, path string, body any, headers ...string) (int, []byte, error) {
	var buf bytes.Buffer
	if body != nil {
		if err := json.NewEncoder(&buf).Encode(body); err != nil {
			return 0, nil, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, &buf)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := demoClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

// want sends one request that must answer status, and decodes the answer into
// out (unless out is nil). It returns the raw answer, for printing.
func (s *demoServer) want(status int, method, path string, body, out any, headers ...string) ([]byte, error) {
	got, raw, err := s.call(method, path, body, headers...)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if got != status {
		return raw, fmt.Errorf("%s %s: want %d, got %d %s", method, path, status, got, bytes.TrimSpace(raw))
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return raw, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return raw, nil
}

// get reads a JSON answer (200) into out.
func (s *demoServer) get(path string, out any) ([]byte, error) {
	return s.want(http.StatusOK, http.MethodGet, path, nil, out)
}

// serverLog keeps what a server writes to stderr: its request log, one line
// per request, is what some demos show.
type serverLog struct {
	mu        sync.Mutex
	lines     []string
	listening chan string // the address of the "listening on" line
}

func newServerLog() *serverLog { return &serverLog{listening: make(chan string, 1)} }

// listenLine finds the address in the server's "listening on http://..." line.
var listenLine = regexp.MustCompile(`listening on http://([0-9A-Za-z.:\[\]-]+)`)

// follow reads the log until the server closes it.
func (l *serverLog) follow(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		l.mu.Lock()
		l.lines = append(l.lines, line)
		l.mu.Unlock()
		if m := listenLine.FindStringSubmatch(line); m != nil {
			select {
			case l.listening <- m[1]:
			default: // only the first one counts
			}
		}
	}
}

// matching is the log lines that contain every one of words.
func (l *serverLog) matching(words ...string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
next:
	for _, line := range l.lines {
		for _, w := range words {
			if !strings.Contains(line, w) {
				continue next
			}
		}
		out = append(out, line)
	}
	return out
}

// await returns the log lines that contain every one of words once there are
// n of them, or after limit: a server writes its request log line as it
// answers, so the line may reach the demo a moment after the answer.
func (l *serverLog) await(n int, limit time.Duration, words ...string) []string {
	deadline := time.Now().Add(limit)
	for {
		lines := l.matching(words...)
		if len(lines) >= n || time.Now().After(deadline) {
			return lines
		}
		time.Sleep(10 * time.Millisecond) // polling a pipe we do not own, bounded by the deadline
	}
}

func (l *serverLog) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// withoutTime drops the time= field of a log line: on a projector it is noise.
func withoutTime(line string) string {
	if strings.HasPrefix(line, "time=") {
		if _, rest, ok := strings.Cut(line, " "); ok {
			return rest
		}
	}
	return line
}
