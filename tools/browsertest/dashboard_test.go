package browsertest

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
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// hostile is an owner's name that would run if the page ever wrote a value as HTML.
const hostile = `<script>alert(1)</script>`

// screenshots are written here, for a person to look at before the dashboard ships.
const (
	shot          = "/tmp/dash-shot.png"
	shotProjector = "/tmp/dash-shot-projector.png"
	shotFull      = "/tmp/dash-shot-full.png"
)

// TestDashboardInChromium starts stage 7's server on a fresh database and
// Chromium on the dashboard that server serves at /dashboard/; then it makes
// commands through the API and watches them arrive on the page.
func TestDashboardInChromium(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "07-upcasting.db")
	api := startStageServer(t, dbPath)
	ctx := startChromium(t)
	problems := watchConsole(ctx)

	do(t, ctx, chromedp.EmulateViewport(1280, 720), chromedp.Navigate(api.url+"/dashboard/"))
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS("#status.on")), chromedp.WaitVisible(chromedp.CSS("#log-panel")))

	ada := api.command(t, "/accounts", `{"owner":`+quote(hostile)+`,"kind":"checking","currency":"EUR","overdraft_limit":10000}`, "room-open")
	opened := onPage(t, ctx, ada.Position)
	deposit := api.command(t, "/accounts/"+ada.ID+"/deposits", `{"amount":2500,"reference":"salary March"}`, "room-salary")
	deposited := onPage(t, ctx, deposit.Position)
	t.Logf("from the API's answer to the row on the page: opening %s, deposit %s", opened.Round(time.Millisecond), deposited.Round(time.Millisecond))

	t.Run("a hostile owner shows as text", func(t *testing.T) {
		detail := run(t, ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector('#log tr[data-position="%d"] td:nth-child(6)').textContent`, ada.Position)))
		if detail != hostile {
			t.Errorf("the owner's cell shows %q, want the text %q", detail, hostile)
		}
		scripts := run(t, ctx, chromedp.Evaluate[int](`document.scripts.length`))
		if scripts != 1 {
			t.Errorf("the page has %d script elements, want only its own", scripts)
		}
	})

	t.Run("a click shows the stream with its metadata", func(t *testing.T) {
		do(t, ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#log tr[data-position="%d"]`, deposit.Position))))
		do(t, ctx, chromedp.Poll[chromedp.Void](`document.querySelectorAll('#stream li').length === 2`, chromedp.WithPollingTimeout(2*time.Second)))
		text := run(t, ctx, chromedp.Text(chromedp.CSS("#stream-panel")))
		for _, want := range []string{"account-" + ada.ID, "MoneyDeposited", "salary March", "room-salary", "correlation_id", "causation_id", hostile} {
			if !strings.Contains(text, want) {
				t.Errorf("the stream panel lacks %q:\n%s", want, text)
			}
		}
	})

	moreTraffic(t, api, ada.ID)
	onPage(t, ctx, api.command(t, "/accounts/"+ada.ID+"/withdrawals", `{"amount":700,"reference":"groceries"}`, "room-groceries").Position)
	do(t, ctx, chromedp.Poll[chromedp.Void](`!document.querySelector('#outbox-panel').hidden && document.querySelectorAll('#projections tbody tr').length >= 3`, chromedp.WithPollingTimeout(3*time.Second)))

	t.Run("the panels of stage 7", func(t *testing.T) {
		text := run(t, ctx, chromedp.Text(chromedp.CSS("main")))
		for _, want := range []string{"accounts_by_owner", "account_transactions", "daily_totals", "published", "Grace Hopper"} {
			if !strings.Contains(text, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
	})

	t.Run("1280x720: nothing wider than the window", func(t *testing.T) {
		fits(t, ctx)
		save(t, shot, run(t, ctx, chromedp.CaptureScreenshot()))
		save(t, shotFull, run(t, ctx, chromedp.FullScreenshot(100)))
		do(t, ctx, chromedp.Click(chromedp.ID("theme")))
		do(t, ctx, chromedp.Poll[chromedp.Void](`document.documentElement.classList.contains('theme-projector') && location.search === '?theme=projector'`, chromedp.WithPollingTimeout(time.Second)))
		fits(t, ctx)
		save(t, shotProjector, run(t, ctx, chromedp.CaptureScreenshot()))
	})

	for _, p := range problems.all() {
		t.Errorf("the browser's console: %s", p)
	}
}

// onPage waits until the event at position is a row of the page's log, and
// returns how long that took.
func onPage(t *testing.T, ctx context.Context, position int64) time.Duration {
	t.Helper()
	start := time.Now()
	do(t, ctx, chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector('#log tr[data-position="%d"]') !== null`, position),
		chromedp.WithPollingInterval(10*time.Millisecond), chromedp.WithPollingTimeout(2*time.Second)))
	return time.Since(start)
}

// fits fails if the page is wider than the window, or if a text is cut short
// without a tooltip that holds all of it.
func fits(t *testing.T, ctx context.Context) {
	t.Helper()
	wide := run(t, ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
	if wide[0] > wide[1] {
		t.Errorf("the page is %d px wide in a window of %d px", wide[0], wide[1])
	}
	cut := run(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('h1, h2, th, td, td .line, button, .head, .status')]
		.filter((e) => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1 && !(e.title || e.closest('[title]')))
		.map((e) => e.tagName + ': ' + e.textContent)`))
	for _, c := range cut {
		t.Errorf("cut short, with no tooltip: %s", c)
	}
}

// moreTraffic gives the screenshot something to show: a second account and a
// few payments, so the outbox, projections and read models have rows.
func moreTraffic(t *testing.T, api stageServer, ada string) {
	t.Helper()
	grace := api.command(t, "/accounts", `{"owner":"Grace Hopper","kind":"savings","currency":"USD"}`, "room-grace")
	api.command(t, "/accounts/"+grace.ID+"/deposits", `{"amount":120000,"reference":"prize money"}`, "room-prize")
	api.command(t, "/accounts/"+ada+"/withdrawals", `{"amount":1800,"reference":"rent"}`, "room-rent")
}

// --- the stage server -----------------------------------------------------------

type stageServer struct{ url string }

// commandResult is what a command answers (DESIGN.md): the account, its stream's
// version and the position of the last event.
type commandResult struct {
	ID       string `json:"id"`
	Version  int64  `json:"version"`
	Position int64  `json:"position"`
}

func (s stageServer) command(t *testing.T, path, body, correlation string) commandResult {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Correlation-ID", correlation)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST %s: %s\n%s", path, resp.Status, raw)
	}
	var res commandResult
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("POST %s: %v\n%s", path, err, raw)
	}
	return res
}

// startStageServer builds and starts stage 7's solution on a free port.
func startStageServer(t *testing.T, dbPath string) stageServer {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "server")
	build := exec.Command("go", "build", "-o", bin, "./solutions/07-upcasting/cmd/server")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the stage 7 server: %v\n%s", err, out)
	}
	server := exec.Command(bin, "-addr", "127.0.0.1:0", "-db", dbPath)
	logs, err := server.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(t, server) })
	addr := make(chan string, 1)
	go func() {
		listening := regexp.MustCompile(`listening on http://([0-9.:]+)`)
		lines := bufio.NewScanner(logs)
		for lines.Scan() {
			if m := listening.FindStringSubmatch(lines.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		return stageServer{url: "http://" + a}
	case <-time.After(30 * time.Second):
		t.Fatal("the stage 7 server did not say where it listens")
	}
	return stageServer{}
}

// stop asks the server to stop as Ctrl-C does, and waits for it.
func stop(t *testing.T, server *exec.Cmd) {
	_ = server.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- server.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the stage server did not stop cleanly: %v", err)
		}
	case <-time.After(15 * time.Second):
		_ = server.Process.Kill()
		t.Error("the stage server did not stop within 15 s of SIGINT")
	}
}

// --- the browser ------------------------------------------------------------------

// startChromium starts headless Chromium with a 1280x720 window.
func startChromium(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no Chromium at %s (apt-get install -y chromium, or set CHROMIUM=/path/to/chrome): %v", path, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 720))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser, bound to ctx only
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// consoleProblems collects what the page reports as wrong: console errors,
// uncaught exceptions, failed loads and refused content (the browser log), and
// any dialog, which only an injected script would open.
type consoleProblems struct {
	mu   sync.Mutex
	list []string
}

func (c *consoleProblems) add(p string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.list = append(c.list, p)
}

func (c *consoleProblems) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.list...)
}

func watchConsole(ctx context.Context) *consoleProblems {
	problems := &consoleProblems{}
	messages := chromedp.Console(ctx)
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				problems.add(fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line+1))
			}
		}
	}()
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			problems.add(fmt.Sprintf("a %s dialog opened: %q", ev.Type, ev.Message))
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return problems
}

// --- small helpers ----------------------------------------------------------------

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	step, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(step, steps...); err != nil {
		t.Fatal(err)
	}
}

func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	step, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(step, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func save(t *testing.T, path string, png []byte) {
	t.Helper()
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("%s: not a PNG", path)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
