// Package demobroker runs majordomo brokers inside a program for a short
// while, on loopback ports the kernel picks: the runnable examples of the
// SDKs start them so that go test runs and checks the examples whole,
// broker included.
//
//	demo, err := demobroker.Start(2)
//	if err != nil { ... }
//	defer demo.Stop()
//	c, _ := clients.New(demo.Endpoints)
//
// Guarantees: Start returns once every broker is bound (its endpoint can be
// connected to at once); Stop cancels them all and returns once every Run
// has returned. The brokers log nothing and drain for at most 100 ms.
package demobroker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/broker"
)

// Brokers are the running brokers.
type Brokers struct {
	Endpoints []string // one per broker, "tcp://127.0.0.1:port"
	cancel    context.CancelFunc
	done      []chan error
}

// Start runs n brokers.
func Start(n int) (*Brokers, error) {
	if n < 1 {
		return nil, fmt.Errorf("demobroker: %d brokers", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &Brokers{cancel: cancel}
	for range n {
		cfg := broker.DefaultConfig()
		cfg.Endpoints = []string{"tcp://127.0.0.1:*"}
		cfg.DrainTimeout = 100 * time.Millisecond
		cfg.Logger = zap.NewNop()
		br, err := broker.New(cfg)
		if err != nil {
			b.Stop()
			return nil, fmt.Errorf("demobroker: %w", err)
		}
		done := make(chan error, 1)
		go func() { done <- br.Run(ctx) }()
		b.Endpoints = append(b.Endpoints, br.Endpoints()[0])
		b.done = append(b.done, done)
	}
	return b, nil
}

// Stop stops every broker and returns the errors of their Runs.
func (b *Brokers) Stop() error {
	b.cancel()
	var errs []error
	for _, d := range b.done {
		errs = append(errs, <-d)
	}
	b.done = nil
	return errors.Join(errs...)
}
