package broker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// ErrNotRunning is returned by Snapshot once Run has returned.
var ErrNotRunning = errors.New("broker: not running")

// Broker is a Majordomo broker: one ROUTER socket serving MDP/0.1, MDP/0.2
// and extension clients and workers. Create it with New and start it with
// Run. Endpoints and Snapshot are safe for concurrent use; everything else
// belongs to the goroutine that calls Run.
type Broker struct {
	cfg       Config
	sock      *router
	endpoints []string

	wakeup *wakePipe // the loop reads, the waker goroutine writes
	wake   chan struct{}
	cmds   chan func(*core, time.Time)

	lastPeerSend time.Time // the loop's: when it last sent a client (or a departing peer) a message

	started atomic.Bool
	running chan struct{} // closed when the loop starts
	done    chan struct{} // closed when Run returns
}

// New checks cfg, creates the ROUTER socket and binds every endpoint, so
// that a bad endpoint or a port in use is an error here and not in Run.
// Run closes the socket when it returns; a Broker that is never run has
// it closed when the Broker is garbage-collected.
func New(cfg Config) (*Broker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	b := &Broker{cfg: cfg, wake: make(chan struct{}, 1), cmds: make(chan func(*core, time.Time), 16),
		running: make(chan struct{}), done: make(chan struct{})}
	var err error
	if b.sock, err = openRouter(cfg); err != nil {
		return nil, err
	}
	for _, ep := range cfg.Endpoints {
		if cfg.CurveSecretKey == "" && !loopbackEndpoint(ep) {
			cfg.Logger.Warn("PLAIN ENDPOINT BEYOND LOOPBACK: anyone who reaches it can serve and call any service and read every message; set a CURVE key (spec/security.md)",
				zap.String("endpoint", ep))
		}
		resolved, err := b.sock.Bind(ep)
		if err != nil {
			b.sock.close()
			return nil, fmt.Errorf("broker: bind %s: %w", ep, err)
		}
		b.endpoints = append(b.endpoints, resolved)
	}
	return b, nil
}

// Endpoints are the bound endpoints, with ephemeral ports resolved.
func (b *Broker) Endpoints() []string { return append([]string(nil), b.endpoints...) }

// Run serves until ctx is cancelled, then shuts down gracefully (see
// Config.DrainTimeout) and returns nil. It closes the broker's sockets on
// return; Run may be called only once.
func (b *Broker) Run(ctx context.Context) error {
	if !b.started.CompareAndSwap(false, true) {
		return errors.New("broker: Run called twice")
	}
	defer close(b.done)
	var err error
	if b.wakeup, err = newWakePipe(); err != nil {
		b.sock.close()
		return err
	}
	if b.sock.zap != nil {
		if err := b.sock.zap.start(); err != nil {
			b.wakeup.close()
			b.sock.close()
			return err
		}
	}
	var wg sync.WaitGroup
	stopWaker := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		b.waker(ctx, stopWaker)
	}()
	err = b.loop(ctx)
	close(stopWaker)
	wg.Wait()
	b.wakeup.close()
	return err
}

// waker pokes the loop when a command is posted or ctx is cancelled.
func (b *Broker) waker(ctx context.Context, stop <-chan struct{}) {
	cancelled := ctx.Done()
	for {
		select {
		case <-stop:
			return
		case <-cancelled:
			cancelled = nil
			b.wakeup.poke()
		case <-b.wake:
			b.wakeup.poke()
		}
	}
}

// Snapshot asks the loop for a copy of its state and counters: every
// service, so its cost grows with their number (see Health for a cheap
// probe), but the loop never pays for all of them at once: it copies the
// counters, then the services a chunk at a time, serving messages in
// between, and sorting happens in the caller's goroutine. Each service's
// entry is consistent; the services are copied over a few milliseconds,
// not at the instant Taken. Called before Run has started, it waits for it
// (bounded by ctx); after Run has returned it fails with ErrNotRunning.
func (b *Broker) Snapshot(ctx context.Context) (Snapshot, error) {
	var s Snapshot
	var gen uint64
	next, done, restarts := 0, false, 0
	if err := b.ask(ctx, func(c *core, now time.Time) {
		s, gen = c.snapshotHead(now), c.list.gen
		s.Services = make([]ServiceSnapshot, 0, len(c.services))
		s.Services, next, done = c.copyServices(now, s.Services, 0, snapshotChunk)
	}); err != nil {
		return Snapshot{}, err
	}
	for !done {
		if err := b.ask(ctx, func(c *core, now time.Time) {
			chunk := snapshotChunk
			if c.list.gen != gen { // services moved slots: start over
				gen, next, s.Services = c.list.gen, 0, s.Services[:0]
				if restarts++; restarts > 2 {
					chunk = len(c.list.slots) // churning: finish in one turn
				}
			}
			s.Services, next, done = c.copyServices(now, s.Services, next, chunk)
		}); err != nil {
			return Snapshot{}, err
		}
	}
	s.sortServices()
	return s, nil
}

// Health is the broker's state in numbers that cost nothing to take.
type Health struct {
	Draining bool
	Services int
	Workers  int
	Queued   int // requests waiting for a worker
	InFlight int // requests held by workers
}

// Health asks the loop for its Health, as Snapshot does, in constant time.
func (b *Broker) Health(ctx context.Context) (Health, error) {
	var h Health
	if err := b.ask(ctx, func(c *core, _ time.Time) {
		h = Health{Draining: c.draining, Services: len(c.services), Workers: len(c.workers),
			Queued: c.queued, InFlight: c.live() - c.queued}
	}); err != nil {
		return Health{}, err
	}
	return h, nil
}

// ask runs fn in the loop and waits until it has run.
func (b *Broker) ask(ctx context.Context, fn func(*core, time.Time)) error {
	select {
	case <-b.running:
	case <-b.done:
		return ErrNotRunning
	case <-ctx.Done():
		return ctx.Err()
	}
	ran := make(chan struct{})
	select {
	case b.cmds <- func(c *core, now time.Time) { fn(c, now); close(ran) }:
	case <-b.done:
		return ErrNotRunning
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case b.wake <- struct{}{}:
	default:
	}
	select {
	case <-ran:
		return nil
	case <-b.done:
		return ErrNotRunning
	case <-ctx.Done():
		return ctx.Err()
	}
}
