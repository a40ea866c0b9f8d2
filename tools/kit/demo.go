package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/go-es-workshop/kit/internal/web"
)

// runDemo builds the latest stage's solution server, starts it on a fresh
// database, tells a short story through its API, and keeps it running for the
// presenter until Ctrl-C.
func runDemo(args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "address for the server")
	if err := fs.Parse(args); err != nil {
		return err
	}
	all, err := stages()
	if err != nil {
		return err
	}
	if err := portFree(*addr); err != nil {
		return err // seeding a server that was already running would tell the story into its database
	}
	latest := all[len(all)-1]
	if !latest.hasSolution() {
		return errNoSolution(latest, "make demo")
	}
	server, db := filepath.Join(".data", "demo-server"), filepath.Join(".data", "demo.db")
	if runtime.GOOS == "windows" {
		server += ".exe"
	}
	fmt.Printf("Building %s ...\n", latest.SolutionDir())
	build := exec.Command("go", "build", "-o", server, "./"+filepath.ToSlash(filepath.Join(latest.SolutionDir(), "cmd", "server")))
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return err
	}
	removeDatabase(db) // every demo starts from the same story
	serverArgs := []string{"-addr", *addr, "-db", db}
	var sink *webhookSink
	if latest.Number == 5 {
		// Stage 5's relay POSTs every integration message to a webhook: this
		// process is the receiver, and prints them once the story is told. From
		// stage 6 on, the statement service inside the server receives them.
		sink = newWebhookSink(http.StatusNoContent, os.Stdout)
		sink.prefix, sink.quiet = "webhook ← ", true
		ln, err := serveSink("127.0.0.1:0", sink)
		if err != nil {
			return err
		}
		defer ln.Close()
		serverArgs = append(serverArgs, "-webhook", "http://"+ln.Addr().String()+"/messages")
	}
	cmd := exec.Command(server, serverArgs...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	stopped := make(chan error, 1)
	go func() { stopped <- cmd.Wait() }()

	base := "http://" + *addr
	if err := waitHealthy(base, stopped); err != nil {
		_ = cmd.Process.Kill()
		return err
	}
	if latest.Number >= 7 {
		if err := seedLegacyRows(db); err != nil {
			_ = cmd.Process.Signal(os.Interrupt)
			<-stopped
			return err
		}
	}
	s := &story{base: base, stage: latest.Number, sink: sink}
	if err := s.tell(); err != nil {
		_ = cmd.Process.Signal(os.Interrupt)
		<-stopped
		return fmt.Errorf("seeding the story: %w", err)
	}
	s.guide(latest)
	if latest.Number >= 2 {
		url := base + web.DashboardPath + "/" // the stage server serves it
		fmt.Printf("\nLive in a browser: %s (on a projector: %s?theme=projector)\n", url, url)
	}
	if sink != nil {
		sink.setQuiet(false) // from now on, each message the relay delivers is printed as it arrives
	}

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	select {
	case <-signals:
		fmt.Println("\nStopping the server ...")
		_ = cmd.Process.Signal(os.Interrupt)
		return <-stopped
	case err := <-stopped:
		return err
	}
}

// healthClient gives up on a /healthz answer after a second.
var healthClient = &http.Client{Timeout: time.Second}

// waitHealthy polls /healthz for up to 15 seconds, or until the server exits.
func waitHealthy(base string, stopped <-chan error) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-stopped:
			return fmt.Errorf("the server stopped before it was ready (%v); is the port taken? try: make demo ARGS='-addr 127.0.0.1:8081'", err)
		default:
		}
		if resp, err := healthClient.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond) // polling a server that is starting, bounded by the deadline
	}
	return fmt.Errorf("the server did not answer %s/healthz within 15s", base)
}

// story seeds the demo through the public API, as a client would.
type story struct {
	base             string
	stage            int // the stage the server runs: references from 2, If-Match from 3, read models from 4
	ada, grace, alan string
	adaWhy           string       // Ada's stream, told line by line, for the guide
	adaStatement     string       // Ada's transaction history, read from its read model (stage 4 on)
	position         int64        // the position of the story's last command (stage 4 on: min_position)
	sink             *webhookSink // the webhook the relay delivers to (stage 5 on)
	delivered        string       // what the sink heard, for the guide (stage 5 on)
}

// tell opens three accounts and moves money so that Ada's balance ends at 40:
// the question an auditor asks, which stage 1 cannot answer and stage 2 can. Each
// payment carries its business reason as a reference ("salary March"); the
// correlation id stays what it is, a technical trace id, one per client session.
func (s *story) tell() error {
	var err error
	step := func(f func() error) {
		if err == nil {
			err = f()
		}
	}
	step(func() (e error) { s.ada, e = s.open("ada", "Ada Lovelace", "checking", 10000); return })
	step(func() error { return s.move("ada", s.ada, "deposits", 5000, "salary March") })
	step(func() error { return s.move("ada", s.ada, "withdrawals", 3000, "rent") })
	step(func() error { return s.move("ada", s.ada, "withdrawals", 1960, "groceries") })
	step(func() (e error) { s.grace, e = s.open("grace", "Grace Hopper", "savings", 0); return })
	step(func() error { return s.move("grace", s.grace, "deposits", 20000, "birthday gift") })
	step(func() (e error) { s.alan, e = s.open("alan", "Alan Turing", "savings", 0); return })
	step(func() error {
		_, e := s.post("alan", "story-alan", "/accounts/"+s.alan+"/close", nil, http.StatusOK)
		return e
	})
	if s.stage >= 3 {
		step(s.staleWrite)
	}
	if s.stage >= 4 {
		step(s.retriedDeposit)
		step(func() (e error) { s.adaStatement, e = s.statement(s.ada); return })
	}
	if s.stage >= 2 {
		step(func() (e error) { s.adaWhy, e = s.why(s.ada); return })
	}
	if s.stage >= 5 {
		step(s.awaitDeliveries)
	}
	return err
}

// awaitDeliveries waits (at most 10 s) until the relay has delivered the whole
// outbox to the sink (stage 5), and notes what the sink heard.
func (s *story) awaitDeliveries() error {
	var outbox struct {
		Pending int `json:"pending"`
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) { // polling, bounded
		if err := s.get("/outbox", &outbox); err != nil {
			return err
		}
		if outbox.Pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the relay has not delivered the outbox within 10 s: %d messages pending (GET /outbox says why)", outbox.Pending)
		}
	}
	if s.sink == nil {
		return s.awaitStatement()
	}
	total, copies := s.sink.counts()
	s.delivered = fmt.Sprintf("\nOther services heard of it: the relay delivered %d integration messages (bank.account.v1.*)\n"+
		"from the outbox to a webhook in this process (%d copies). New ones are printed here as they arrive.\n", total, copies)
	return nil
}

// awaitStatement waits (at most 10 s) until the statement service (stage 6) shows
// Ada's balance as the bank does, and notes it for the guide.
func (s *story) awaitStatement() error {
	var st struct {
		Balance  int64 `json:"balance"`
		Deposits int64 `json:"deposits"`
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) { // polling, bounded
		if err := s.get("/statements/"+s.ada, &st); err == nil && st.Balance == 40 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the statement service does not show Ada's balance of 40 within 10 s (GET /statements/%s, GET /dead-letters)", s.ada)
		}
	}
	s.delivered = fmt.Sprintf("\nThe statement service, another service in miniature, heard of it through the relay: it shows Ada's\n"+
		"balance as %d from %d deposit(s), each message counted once (processed_messages).\n", st.Balance, st.Deposits)
	return nil
}

// retriedDeposit shows an Idempotency-Key (stage 4): Grace's phone sends a refund,
// loses the answer and sends it again with the same key; the second answer is the
// first one, and the money arrives once.
func (s *story) retriedDeposit() error {
	body := s.money(1500, "refund")
	var first map[string]any
	for try := range 2 {
		resp, err := s.do(http.MethodPost, "/accounts/"+s.grace+"/deposits", body, http.StatusOK,
			"X-User-ID", "grace", "X-Correlation-ID", "story-grace-phone", "Idempotency-Key", "grace-refund-1")
		if err != nil {
			return err
		}
		if try == 0 {
			first = resp
		} else if resp["position"] != first["position"] {
			return fmt.Errorf("the retried deposit was carried out twice: %v, then %v", first, resp)
		}
		s.position = int64(resp["position"].(float64))
	}
	return nil
}

// statement reads an account's history from its read model once it includes the
// story's last command (min_position), one line per event with the balance after it.
func (s *story) statement(id string) (string, error) {
	var history struct {
		Transactions []struct {
			Version      int64  `json:"version"`
			Kind         string `json:"kind"`
			Amount       int64  `json:"amount"`
			Reference    string `json:"reference"`
			BalanceAfter int64  `json:"balance_after"`
		} `json:"transactions"`
	}
	if err := s.get(fmt.Sprintf("/accounts/%s/transactions?min_position=%d", id, s.position), &history); err != nil {
		return "", err
	}
	var b strings.Builder
	for _, t := range history.Transactions {
		line := fmt.Sprintf("  v%d %-11s %+7d  balance %6d", t.Version, t.Kind, t.Amount, t.BalanceAfter)
		if t.Reference != "" {
			line += fmt.Sprintf("  %q", t.Reference)
		}
		b.WriteString(line + "\n")
	}
	return b.String(), nil
}

func (s *story) open(user, owner, kind string, overdraft int64) (string, error) {
	body := map[string]any{"owner": owner, "kind": kind, "currency": "EUR", "overdraft_limit": overdraft}
	resp, err := s.post(user, "story-"+user, "/accounts", body, http.StatusCreated)
	if err != nil {
		return "", err
	}
	id, _ := resp["id"].(string)
	return id, nil
}

// move deposits or withdraws amount with its reason (stage 1 has no place for one).
func (s *story) move(user, id, kind string, amount int64, reference string) error {
	_, err := s.post(user, "story-"+user, "/accounts/"+id+"/"+kind, s.money(amount, reference), http.StatusOK)
	return err
}

// money is the body of a deposit or withdrawal.
func (s *story) money(amount int64, reference string) map[string]any {
	body := map[string]any{"amount": amount}
	if s.stage >= 2 {
		body["reference"] = reference
	}
	return body
}

// staleWrite shows If-Match: Grace's second tab still holds version 2.
func (s *story) staleWrite() error {
	if _, err := s.postIfMatch("grace", "/accounts/"+s.grace+"/withdrawals", 500, "cinema", `"2"`, http.StatusOK); err != nil {
		return err
	}
	_, err := s.postIfMatch("grace", "/accounts/"+s.grace+"/withdrawals", 500, "cinema", `"2"`, http.StatusPreconditionFailed)
	return err
}

// why reads an account's stream and tells it one event a line, with the references.
func (s *story) why(id string) (string, error) {
	var stream struct {
		Events []struct {
			Version int64          `json:"version"`
			Type    string         `json:"type"`
			Data    map[string]any `json:"data"`
		} `json:"events"`
	}
	if err := s.get("/accounts/"+id+"/events", &stream); err != nil {
		return "", err
	}
	var b strings.Builder
	for _, e := range stream.Events {
		line := fmt.Sprintf("  v%d %-16s", e.Version, e.Type)
		switch e.Type {
		case "MoneyDeposited", "MoneyWithdrawn":
			sign := map[string]string{"MoneyDeposited": "+", "MoneyWithdrawn": "-"}[e.Type]
			line += fmt.Sprintf("%s%v", sign, e.Data["amount"])
			if ref, _ := e.Data["reference"].(string); ref != "" {
				line += fmt.Sprintf("  %q", ref)
			}
		case "AccountOpened":
			line += fmt.Sprintf("%v, overdraft limit %v", e.Data["kind"], e.Data["overdraft_limit"])
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	return b.String(), nil
}

func (s *story) post(user, correlation, path string, body any, want int) (map[string]any, error) {
	return s.do(http.MethodPost, path, body, want, "X-User-ID", user, "X-Correlation-ID", correlation)
}

func (s *story) postIfMatch(user, path string, amount int64, reference, ifMatch string, want int) (map[string]any, error) {
	return s.do(http.MethodPost, path, s.money(amount, reference), want, "X-User-ID", user, "X-Correlation-ID", "story-"+user+"-second-tab", "If-Match", ifMatch)
}

// get reads a JSON answer into out.
func (s *story) get(path string, out any) error {
	body, err := s.do(http.MethodGet, path, nil, http.StatusOK)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, out)
}

func (s *story) do(method, path string, body any, want int, headers ...string) (map[string]any, error) {
	var buf bytes.Buffer
	if body != nil {
		if err := json.NewEncoder(&buf).Encode(body); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, &buf)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: want %d, got %d %s", method, path, want, resp.StatusCode, raw)
	}
	out := map[string]any{}
	_ = json.Unmarshal(raw, &out)
	return out, nil
}

// guide prints what the presenter can show next.
func (s *story) guide(latest stage) {
	why := ""
	if s.adaWhy != "" {
		why = "\nAda's balance is 40. Her stream says why, each payment with the reason its client gave:\n" + s.adaWhy
	}
	if s.adaStatement != "" {
		why += "\nHer statement, read from a read model (the write model never answers this query):\n" + s.adaStatement +
			"Grace's phone sent a refund twice with one Idempotency-Key: it arrived once.\n"
	}
	why += s.delivered
	more := ""
	if s.stage >= 8 {
		more += `  curl -s $BASE/metrics | grep -v '^#'    # commands by outcome, loads by replay, lag, the outbox's backlog
`
	}
	if s.stage >= 7 {
		more += fmt.Sprintf(`  curl -s $BASE/accounts/%[1]s/events
                                           # Charles's account, as the first release wrote it: AccountOpened v1,
                                           # AccountCredited, AccountDebited; read as today's events (see stored_as)
  curl -s $BASE/accounts/%[2]s   # a company's account, opened at AccountOpened v2
  curl -s $BASE/schemas                    # the rows stored per name and version: when can an upcaster go?
`, legacyCharles, legacyCompany)
	}
	if s.stage >= 6 {
		more += `  curl -s $BASE/statements/$ADA            # the statement service's balance, from the messages
  M='{"message_id":"demo-1","type":"bank.account.v1.MoneyDeposited","subject":"'$ADA'","occurred_at":"2024-05-01T10:00:00Z","correlation_id":"","data":{"account_id":"'$ADA'","amount":100,"currency":"EUR"}}'
  for i in 1 2; do curl -s -X POST $BASE/statements/messages -H 'Content-Type: application/json' -d "$M"; echo; done
                                           # one message delivered twice: applied, then duplicate (140, not 240)
  curl -s -X POST $BASE/projections/accounts_by_owner/rebuild   # rebuilt beside the live one, then one switch
  curl -s $BASE/projections                # its build is now green; the rebuild's progress while it runs
`
	}
	if s.stage == 5 {
		more += `  curl -s $BASE/outbox                     # the relay, its lease, what waits; the webhook above prints each delivery
`
	}
	if s.stage >= 5 {
		more += `  curl -s $BASE/dead-letters               # messages parked: the outbox's, and (stage 6) the consumers'
`
	}
	if s.stage >= 4 {
		more += fmt.Sprintf(`  curl -s $BASE/accounts/$ADA/transactions # read model: a line per event, the balance after each
  curl -s "$BASE/accounts?owner=Grace%%20Hopper"  # read model: an owner's accounts
  curl -s $BASE/projections                # each projection's checkpoint, the head of the log, the lag
  curl -si "$BASE/accounts/$ADA/transactions?min_position=%d"
                                           # a position the log has not reached: 503 after 2 s, naming the lag
`, s.position+1000)
	}
	fmt.Printf(`
Stage %d (%s) is running with a seeded story (database .data/demo.db).
%s
Paste this into another terminal:

  export BASE=%s ADA=%s GRACE=%s ALAN=%s

Then try:
  curl -s $BASE/accounts/$ADA              # the balance is 40 ...
  curl -s $BASE/accounts/$ADA/events       # ... and this is why: the references
  curl -s "$BASE/events?after=0&limit=5"   # the global log, in order
  curl -si -X POST $BASE/accounts/$GRACE/withdrawals -H 'Content-Type: application/json' -H 'If-Match: "2"' -d '{"amount":1,"reference":"cinema"}'
                                           # a stale If-Match: 412 (and a line in the server's log)
%sOr open %s/ in a browser: what this stage adds, with curl examples.

Ctrl-C stops the server.
`, latest.Number, latest.Slug, why, s.base, s.ada, s.grace, s.alan, more, s.base)
}
