package bank

import "sync"

// signal tells any number of waiting goroutines that something moved on: the event
// store that an append committed, a projection that its checkpoint advanced. A
// waiter takes the channel first, then looks at the state it waits for, and only
// then blocks on the channel: a change that lands in between has closed that
// channel already, so no wake-up is ever lost.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func newSignal() *signal { return &signal{ch: make(chan struct{})} }

// Changed returns a channel that is closed at the next Broadcast.
func (s *signal) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ch
}

// Broadcast wakes everyone waiting on a channel from Changed.
func (s *signal) Broadcast() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.ch)
	s.ch = make(chan struct{})
}
