package bank

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
)

// A Publisher hands a message to whoever listens: a broker, another service, a
// webhook. It returns nil only once the other side has taken the message (the
// acknowledgement); the relay marks a message published only then. Publish must
// give up when ctx ends: the relay's lease depends on it (relay_lease.go).
type Publisher interface {
	Publish(ctx context.Context, m IntegrationMessage) error
}

// PublisherFunc makes a function a Publisher.
type PublisherFunc func(ctx context.Context, m IntegrationMessage) error

func (f PublisherFunc) Publish(ctx context.Context, m IntegrationMessage) error { return f(ctx, m) }

// Webhook POSTs each message as JSON to a URL: cmd/server -webhook URL. A 2xx
// answer is the acknowledgement; anything else, or no answer, is a refusal that
// the relay tries again later.
type Webhook struct {
	url    string
	client *http.Client
}

// NewWebhook checks that target is an http(s) URL with a host.
func NewWebhook(target string) (*Webhook, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("webhook: want an http:// or https:// URL with a host, got %q", target)
	}
	return &Webhook{url: target, client: &http.Client{}}, nil // the relay's context bounds each request
}

func (w *Webhook) String() string { return "webhook " + w.url }

// Publish POSTs m, with its id in X-Message-ID too (a receiver can drop copies
// before it reads the body).
func (w *Webhook) Publish(ctx context.Context, m IntegrationMessage) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Message-ID", m.ID)
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 200)) // enough to say why it refused
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook answered %s: %q", resp.Status, answer)
	}
	return nil
}

// Subscriber is a consumer inside this process, the default publisher of
// NewServer: it stands for another service, say the one that sends customers a
// text for each payment. It keeps the last messages it took (GET /outbox shows
// them) and counts the copies it has seen before, as a real consumer must: the
// relay delivers at least once.
type Subscriber struct {
	mu         sync.Mutex
	recent     []IntegrationMessage // the last maxRecent, oldest first
	seen       map[string]bool      // the ids of recent
	received   int
	duplicates int
}

// maxRecent bounds the messages a Subscriber keeps.
const maxRecent = 20

// NewSubscriber returns a Subscriber that has taken nothing yet.
func NewSubscriber() *Subscriber { return &Subscriber{seen: map[string]bool{}} }

func (s *Subscriber) String() string { return "in-process subscriber" }

// Publish takes m: it always acknowledges.
func (s *Subscriber) Publish(_ context.Context, m IntegrationMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received++
	if s.seen[m.ID] {
		s.duplicates++ // a redelivery: a real consumer does nothing twice
		return nil
	}
	s.seen[m.ID] = true
	s.recent = append(s.recent, m)
	if len(s.recent) > maxRecent {
		delete(s.seen, s.recent[0].ID)
		s.recent = s.recent[1:]
	}
	return nil
}

// SubscriberStats is what a Subscriber has taken.
type SubscriberStats struct {
	Received   int                  `json:"received"`   // deliveries, copies included
	Duplicates int                  `json:"duplicates"` // copies of a recent message
	Recent     []IntegrationMessage `json:"recent"`     // the last few, oldest first
}

// Stats reports what the subscriber has taken.
func (s *Subscriber) Stats() SubscriberStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return SubscriberStats{Received: s.received, Duplicates: s.duplicates, Recent: append([]IntegrationMessage{}, s.recent...)}
}
