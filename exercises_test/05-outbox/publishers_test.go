package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-es-workshop/kit/exercises_test/spec"
	"github.com/go-es-workshop/kit/internal/exercise"
	bank "github.com/go-es-workshop/kit/stages/05-outbox"
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

func jsonOf(v any) string {
	data, _ := json.Marshal(v)
	return string(data)
}

func Test5_3_GetOutboxShowsTheRelayAndTheSubscriber(t *testing.T) {
	c := spec.For(t, stage)
	c.KeptBy("outbox_status.go and http_outbox.go")
	api, _ := newAPI(t)
	id := c.OpenAccount(api, "savings", 0)
	c.Doing("wait until the in-process subscriber took the AccountOpened message")
	var body struct {
		Relay struct {
			Status, Publisher string
			Error             string
			ThisRelay         string `json:"this_relay"`
			Lease             struct{ Holder string }
			Subscriber        struct {
				Received int
				Recent   []bank.IntegrationMessage
			}
		}
		Pending, Parked int
	}
	waitUntil(c, "GET /outbox showing the message taken", func() bool {
		r := api.Get("/outbox")
		c.NoError(r.Decode(&body), "decoding GET /outbox")
		if todo, ok := exercise.ParseTodo(body.Relay.Error); ok {
			c.NoError(todo, "the relay")
		}
		return body.Relay.Subscriber.Received == 1
	})
	waitUntil(c, "GET /outbox showing nothing pending and the relay running (it marks a message published just after the subscriber took it, and reports its state after the pass)", func() bool {
		c.NoError(api.Get("/outbox").Decode(&body), "decoding GET /outbox")
		return body.Pending == 0 && body.Relay.Status == "running"
	})
	c.That(body.Relay.Status == "running" && body.Relay.Publisher == "in-process subscriber" && body.Relay.Lease.Holder == body.Relay.ThisRelay &&
		body.Relay.ThisRelay != "" && len(body.Relay.Subscriber.Recent) == 1 && body.Relay.Subscriber.Recent[0].Subject == id && body.Pending == 0,
		"a running relay holding the lease, the in-process subscriber with the one message, nothing pending", jsonOf(body))
}

func TestGuard_APublisherFuncIsThePublisher(t *testing.T) {
	c := spec.Guard(t, stage, "publishers.go (PublisherFunc)", "PublisherFunc makes a function a Publisher: it is called with the message, and its error is the answer")
	var got bank.IntegrationMessage
	f := bank.PublisherFunc(func(_ context.Context, m bank.IntegrationMessage) error { got = m; return errors.New("refused") })
	err := f.Publish(c.Ctx(), sample())
	c.That(err != nil && err.Error() == "refused" && got.ID == sample().ID, "the function called with the message, its error returned", fmt.Sprintf("%v, %q", err, got.ID))
}
