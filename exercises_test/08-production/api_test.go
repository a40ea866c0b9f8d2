package production_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/08-production"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// stage is the folder these tests check: stages/08-production.
const stage = "08-production"

const (
	adaID = "0190c6a8-7d3e-7a1b-9c2d-3e4f5a6b7c8d"
	bobID = "0190c6a8-0000-7000-8000-000000000b0b"
)

// newAPI starts stage 5's server on a fresh database, in process, as
// cmd/server does without -webhook (an in-process subscriber takes the messages).
func newAPI(t *testing.T) (*spec.API, *sqlitedb.DB) {
	return spec.StartAPI(t, bank.NewServer)
}

// fastRelay is a relay for tests: retries after a few milliseconds, parked after
// 3 attempts, an idle poll of 20 ms.
func fastRelay() bank.RelayConfig {
	return bank.RelayConfig{MaxAttempts: 3, FirstRetry: time.Millisecond, MaxRetry: 4 * time.Millisecond,
		PublishTimeout: time.Second, LeaseTTL: 4 * time.Second, PollInterval: 20 * time.Millisecond}
}

// server is the bank's server on db with a recorder as its publisher.
type server struct {
	*spec.API
	db    *sqlitedb.DB
	pub   *recorder
	srv   *bank.Server
	relay *bank.Relay
	stop  context.CancelFunc // ends the server's context: the relay stops and gives its lease back
}

// startServer starts the server on db, its relay publishing to pub with cfg.
func startServer(t *testing.T, db *sqlitedb.DB, pub *recorder, cfg bank.RelayConfig) *server {
	s := &server{db: db, pub: pub}
	s.API, s.stop = spec.StartAPIOn(t, db, func(ctx context.Context, db *sqlitedb.DB, log *slog.Logger) (*echo.Echo, error) {
		srv, err := bank.Start(ctx, db, log, bank.Options{Publisher: pub, Relay: cfg})
		if err != nil {
			return nil, err
		}
		s.srv, s.relay = srv, srv.App.Relay
		return srv.Echo, nil
	})
	return s
}

// newServer is startServer on a fresh database with a fresh recorder.
func newServer(t *testing.T, cfg bank.RelayConfig) *server {
	return startServer(t, spec.OpenDB(t), newRecorder(), cfg)
}

// relayApp is the bank's application on a fresh database, its projector and relay
// not running: a test sets the outbox up first, then runs the relay (runRelay).
type relayApp struct {
	*bank.Application
	db    *sqlitedb.DB
	store *bank.EventStore
	pub   *recorder
}

func newRelayApp(c *spec.Check, t *testing.T, cfg bank.RelayConfig) *relayApp {
	return newRelayAppOn(c, t, spec.OpenDB(t), cfg)
}

// newRelayAppOn is newRelayApp on db (a second application on one database).
func newRelayAppOn(c *spec.Check, t *testing.T, db *sqlitedb.DB, cfg bank.RelayConfig) *relayApp {
	log, _ := spec.NewServerLog()
	store, err := bank.NewEventStore(c.Ctx(), db, bank.NewRegistry())
	c.NoError(err, "NewEventStore")
	pub := newRecorder()
	a, err := bank.NewApplication(c.Ctx(), db, store, log, bank.Options{Publisher: pub, Relay: cfg})
	c.NoError(err, "NewApplication")
	return &relayApp{Application: a, db: db, store: store, pub: pub}
}

// runRelay runs the relay until the test ends, and waits for it to stop then.
func (a *relayApp) runRelay(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Relay.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(spec.Patience):
			t.Errorf("the relay did not stop within %s of its context ending", spec.Patience)
		}
	})
}

// open opens an account through the application's commands and returns its id.
func (a *relayApp) open(c *spec.Check, owner string) uuid.UUID {
	res, err := a.Commands.OpenAccount(c.Ctx(), bank.Message[bank.OpenAccount]{ID: uuid.NewString(),
		Command: bank.OpenAccount{Owner: owner, Kind: bank.Checking, Currency: "EUR", OverdraftLimit: 10000}})
	c.NoError(err, "opening an account for "+owner+" (test setup)")
	return res.AccountID
}

// deposit pays amount into account id through the application's commands.
func (a *relayApp) deposit(c *spec.Check, id uuid.UUID, amount int64) {
	_, err := a.Commands.DepositMoney(c.Ctx(), bank.Message[bank.DepositMoney]{ID: uuid.NewString(),
		Command: bank.DepositMoney{AccountID: id, Amount: amount}})
	c.NoError(err, fmt.Sprintf("depositing %d (test setup)", amount))
}

// row is a row of the outbox table, read behind the API's back.
type row struct {
	ID        int64
	MessageID string
	Type      string
	Subject   string
	Status    string
	Attempts  int
	LastError string
	Data      string // the message's data, as JSON
}

func (r row) String() string {
	s := fmt.Sprintf("#%d %s %s… %s %s attempts %d", r.ID, r.Type, r.Subject[:8], r.Data, r.Status, r.Attempts)
	if r.LastError != "" {
		s += " (" + r.LastError + ")"
	}
	return s
}

// outboxRows reads the outbox table in order.
func outboxRows(c *spec.Check, db *sqlitedb.DB) []row {
	rows, err := db.Read.QueryContext(c.Ctx(), `SELECT id, message_id, type, subject, status, attempts, last_error, payload FROM outbox ORDER BY id`)
	c.NoError(err, "reading the outbox table")
	defer rows.Close()
	var out []row
	for rows.Next() {
		var r row
		var payload string
		c.NoError(rows.Scan(&r.ID, &r.MessageID, &r.Type, &r.Subject, &r.Status, &r.Attempts, &r.LastError, &payload), "reading an outbox row")
		var m struct{ Data json.RawMessage }
		c.NoError(json.Unmarshal([]byte(payload), &m), "decoding an outbox row's payload")
		r.Data = string(m.Data)
		out = append(out, r)
	}
	c.NoError(rows.Err(), "reading the outbox table")
	return out
}

func describeRows(rows []row) string {
	if len(rows) == 0 {
		return "(no rows)"
	}
	lines := make([]string, len(rows))
	for i, r := range rows {
		lines[i] = r.String()
	}
	return strings.Join(lines, "\n")
}

// count counts the rows of a table.
func count(c *spec.Check, db *sqlitedb.DB, table string) int {
	var n int
	c.NoError(db.Read.QueryRow(`SELECT COUNT(*) FROM `+table).Scan(&n), "counting the rows of "+table)
	return n
}

// moneyData is the data of a money message, as JSON.
func moneyData(account string, amount int64, currency string) string {
	return fmt.Sprintf(`{"account_id":%q,"amount":%d,"currency":%q}`, account, amount, currency)
}
