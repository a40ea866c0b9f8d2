package production_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/exercise"
	"github.com/go-es-workshop/kit/internal/sqlitedb"
	bank "github.com/go-es-workshop/kit/stages/08-production"
	"github.com/labstack/echo/v4"
)

func sample() bank.IntegrationMessage {
	return bank.IntegrationMessage{ID: "0b5f3c56-7e8d-5f0a-9b1c-2d3e4f5a6b7c", Type: bank.MoneyDepositedV1Type, Subject: adaID,
		OccurredAt: at(1, 0), CorrelationID: "corr-1", Data: json.RawMessage(moneyData(adaID, 5, "EUR"))}
}

func TestGuard_AWebhookPostsTheMessageAndOnlyA2xxAcknowledgesIt(t *testing.T) {
	c := spec.Guard(t, stage, "publishers.go (Webhook)", "cmd/server -webhook URL: each message is POSTed as JSON with its id; 2xx acknowledges, anything else is a refusal")
	var status int
	var got []byte
	var header http.Header
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		header = r.Header
		w.WriteHeader(status)
		_, _ = w.Write([]byte("consumer says why"))
	}))
	defer sink.Close()
	hook, err := bank.NewWebhook(sink.URL + "/messages")
	c.NoError(err, "NewWebhook")
	for _, s := range []int{200, 202, 204, 299} {
		status = s
		c.Doing("publish to a webhook that answers %d", s)
		c.NoError(hook.Publish(c.Ctx(), sample()), "Publish")
	}
	var m bank.IntegrationMessage
	c.NoError(json.Unmarshal(got, &m), "decoding what the webhook received")
	raw, _ := json.Marshal(sample())
	c.Equal(string(raw), string(got), "the body: the message as JSON")
	c.Equal(sample().ID, header.Get("X-Message-ID"), "the X-Message-ID header")
	c.Equal("application/json", header.Get("Content-Type"), "the Content-Type")
	for _, s := range []int{300, 400, 404, 500, 503} {
		status = s
		c.Doing("publish to a webhook that answers %d", s)
		err := hook.Publish(c.Ctx(), sample())
		c.That(err != nil && strings.Contains(err.Error(), http.StatusText(s)) && strings.Contains(err.Error(), "consumer says why"), "a refusal naming the status and what the consumer said", "error: "+errString(err))
	}
	c.Doing("publish a message whose data is not JSON, to a webhook that acknowledges anything")
	status = 204
	bad := sample()
	bad.Data = json.RawMessage("{")
	c.That(hook.Publish(c.Ctx(), bad) != nil, "an error, before anything is sent", "nil")
	c.Doing("publish to a webhook that is gone")
	sink.Close()
	c.That(hook.Publish(c.Ctx(), sample()) != nil, "an error", "nil")
	c.Doing("publish with a context that has ended")
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	c.That(hook.Publish(ctx, sample()) != nil, "an error", "nil")
	for _, bad := range []string{"", "localhost:9000", "ftp://example.com/x", "http://", "http//x", "::"} {
		c.Doing("NewWebhook(%q)", bad)
		_, err := bank.NewWebhook(bad)
		c.That(err != nil, "an error: not an http(s) URL with a host", "no error")
	}
	c.Doing("NewWebhook(https://example.com/hook)")
	_, err = bank.NewWebhook("https://example.com/hook")
	c.NoError(err, "NewWebhook")
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

func TestGuard_TheInProcessSubscriberKeepsTheLastMessagesAndCountsCopies(t *testing.T) {
	c := spec.Guard(t, stage, "publishers.go (Subscriber)", "the in-process subscriber acknowledges every message, keeps the last 20 and counts copies")
	sub := bank.NewSubscriber()
	c.Equal("in-process subscriber", sub.String(), "its name")
	for i := range 25 {
		m := sample()
		m.ID = strings.Repeat("0", 10) + string(rune('a'+i))
		c.NoError(sub.Publish(c.Ctx(), m), "Publish")
		if i == 24 {
			c.NoError(sub.Publish(c.Ctx(), m), "Publish (a copy)")
		}
	}
	stats := sub.Stats()
	c.That(stats.Received == 26 && stats.Duplicates == 1 && len(stats.Recent) == 20 && stats.Recent[0].ID == strings.Repeat("0", 10)+"f" &&
		stats.Recent[19].ID == strings.Repeat("0", 10)+"y", "26 received, 1 copy, the last 20 kept (f to y)", jsonOf(stats))
	m := sample()
	m.ID = strings.Repeat("0", 10) + "a" // forgotten: no longer among the last 20
	c.NoError(sub.Publish(c.Ctx(), m), "Publish")
	c.Equal(1, sub.Stats().Duplicates, "copies after a message that is no longer kept came again")
}

func TestGuard_GetOutboxShowsWhatTheInProcessSubscriberTook(t *testing.T) {
	c := spec.Guard(t, stage, "outbox_status.go (Status)", "GET /outbox shows what the in-process subscriber took, when the relay publishes to it")
	sub := bank.NewSubscriber()
	api, _ := spec.StartAPIOn(t, spec.OpenDB(t), func(ctx context.Context, db *sqlitedb.DB, log *slog.Logger) (*echo.Echo, error) {
		srv, err := bank.Start(ctx, db, log, bank.Options{Publisher: sub, Relay: fastRelay()})
		if err != nil {
			return nil, err
		}
		return srv.Echo, nil
	})
	c.OpenAccount(api, "savings", 0)
	c.Doing("GET /outbox once the relay has delivered the AccountOpened to the subscriber")
	waitUntil(c, "the subscriber taking the AccountOpened", func() bool { return sub.Stats().Received == 1 })
	var body struct {
		Relay struct {
			Publisher  string
			Subscriber *bank.SubscriberStats
		}
	}
	r := api.Get("/outbox")
	c.Status(r, http.StatusOK)
	c.NoError(r.Decode(&body), "decoding GET /outbox")
	got := body.Relay.Subscriber
	c.That(body.Relay.Publisher == "in-process subscriber" && got != nil && got.Received == 1 && got.Duplicates == 0 &&
		len(got.Recent) == 1 && got.Recent[0].Type == bank.AccountOpenedV1Type,
		"the relay's publisher, the in-process subscriber, with 1 message received, no copy, and the AccountOpened among the recent ones", r.Describe())
}

func jsonOf(v any) string {
	data, _ := json.Marshal(v)
	return string(data)
}

func TestGuard_TheRelayDeliversToTheStatementService(t *testing.T) {
	c := spec.Guard(t, stage, "statements.go", "the relay delivers to the statement service")
	api, _ := newAPI(t)
	id := c.OpenAccount(api, "savings", 0)
	c.Doing("wait until the statement service has the account (the relay delivers its AccountOpened)")
	waitUntil(c, "GET /statements/"+id+" answering 200", func() bool {
		r := api.Get("/outbox")
		if todo, ok := exercise.ParseTodo(string(r.Body)); ok { // the relay's last error, on GET /outbox
			c.NoError(todo, "the relay's publisher, the statement service, taking the AccountOpened message")
		}
		return api.Get("/statements/"+id).Status == http.StatusOK
	})
	r := api.Post("/accounts/"+id+"/deposits", map[string]any{"amount": 250})
	c.Status(r, http.StatusOK)
	waitUntil(c, "the statement showing the deposit", func() bool { return api.Get("/statements/"+id).Int("deposits") == 1 })
	r = api.Get("/statements/" + id)
	c.That(r.String("account_id") == id && r.String("currency") == "EUR" && r.Int("balance") == 250 && r.Int("withdrawals") == 0 && r.String("status") == "open",
		"the account in EUR with 250 from one deposit, open", r.Describe())
	var body struct {
		Relay           struct{ Status, Publisher string }
		Pending, Parked int
	}
	waitUntil(c, "GET /outbox showing nothing pending and the relay running", func() bool {
		c.NoError(api.Get("/outbox").Decode(&body), "decoding GET /outbox")
		return body.Pending == 0 && body.Relay.Status == "running"
	})
	c.Equal("statement service (in process)", body.Relay.Publisher, "the relay's publisher on GET /outbox")
}

func TestGuard_APublisherFuncIsThePublisher(t *testing.T) {
	c := spec.Guard(t, stage, "publishers.go (PublisherFunc)", "PublisherFunc makes a function a Publisher: it is called with the message, and its error is the answer")
	var got bank.IntegrationMessage
	f := bank.PublisherFunc(func(_ context.Context, m bank.IntegrationMessage) error { got = m; return errors.New("refused") })
	err := f.Publish(c.Ctx(), sample())
	c.That(err != nil && err.Error() == "refused" && got.ID == sample().ID, "the function called with the message, its error returned", fmt.Sprintf("%v, %q", err, got.ID))
}
