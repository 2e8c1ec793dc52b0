// Package brokertest runs a majordomo broker inside a test, on a loopback
// port, as net/http/httptest runs an HTTP server:
//
//	b := brokertest.Start(t, func(cfg *broker.Config) { cfg.HeartbeatInterval = 20 * time.Millisecond })
//	w, _ := workers.New([]string{b.Endpoint}, "echo")
//	...
//	brokertest.WaitFor(t, "echo registered", func() bool { return b.Workers("echo") == 1 })
//
// The broker stops when the test ends (or at Stop); a Run that fails or
// does not return in time fails the test.
package brokertest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/internal/mdptest"
	"go.uber.org/zap/zaptest"
)

// Timeout bounds every wait here: generous, for a loaded CI machine;
// passing tests never come near it.
const Timeout = mdptest.Timeout

// Broker is a broker running in the test's process.
type Broker struct {
	*broker.Broker
	Endpoint string // the first bound endpoint, port resolved

	t      testing.TB
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// Start runs a broker until the test ends. Before tune, the config is the
// broker's default but for one ephemeral endpoint on 127.0.0.1, a drain
// timeout of 100 ms (a test that stops mid-request should not wait 5 s) and
// a logger into the test's log. When tune names a fixed endpoint that a
// broker stopped just before still holds, Start retries the bind until
// Timeout.
func Start(t testing.TB, tune ...func(*broker.Config)) *Broker {
	t.Helper()
	cfg := broker.DefaultConfig()
	cfg.Endpoints = []string{"tcp://127.0.0.1:*"}
	cfg.DrainTimeout = 100 * time.Millisecond
	cfg.Logger = zaptest.NewLogger(t)
	for _, f := range tune {
		f(&cfg)
	}
	var b *broker.Broker
	var err error
	deadline := time.Now().Add(Timeout)
	for {
		if b, err = broker.New(cfg); err == nil {
			break
		}
		if cfg.Validate() != nil || time.Now().After(deadline) {
			t.Fatalf("brokertest: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tb := &Broker{Broker: b, Endpoint: b.Endpoints()[0], t: t, cancel: cancel, done: make(chan error, 1)}
	go func() { tb.done <- b.Run(ctx) }()
	t.Cleanup(tb.Stop)
	return tb
}

// Stop stops the broker gracefully and waits for Run to return. It may be
// called more than once.
func (b *Broker) Stop() {
	b.once.Do(func() {
		b.cancel()
		select {
		case err := <-b.done:
			if err != nil {
				b.t.Errorf("brokertest: Run: %v", err)
			}
		case <-time.After(Timeout):
			b.t.Errorf("brokertest: the broker did not stop within %v", Timeout)
		}
	})
}

// State returns a snapshot of the broker's state, failing the test when
// the broker does not answer.
func (b *Broker) State() broker.Snapshot {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	s, err := b.Snapshot(ctx)
	if err != nil {
		b.t.Fatalf("brokertest: Snapshot: %v", err)
	}
	return s
}

// Service returns one service's state, and false when the broker does not
// know it.
func (b *Broker) Service(name string) (broker.ServiceSnapshot, bool) {
	b.t.Helper()
	for _, s := range b.State().Services {
		if s.Name == name {
			return s, true
		}
	}
	return broker.ServiceSnapshot{}, false
}

// Workers is how many workers are registered for service.
func (b *Broker) Workers(service string) int {
	b.t.Helper()
	s, _ := b.Service(service)
	return s.Workers
}

// WaitFor polls cond every few milliseconds until it holds, and fails the
// test when it does not within Timeout. Call it from the test's goroutine.
// It is mdptest.WaitFor.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	mdptest.WaitFor(t, what, cond)
}
