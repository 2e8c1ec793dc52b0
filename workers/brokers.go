package workers

import (
	"sync"
	"time"

	"go.uber.org/zap"
)

// slots is the worker's one capacity, shared by its connections to every
// broker: a handler runs only with a slot. Every broker is offered the
// whole capacity (so that one broker can use all of it when the clients
// send there), and a request that finds every slot taken by requests from
// other brokers waits in its connection's pending queue until one frees.
// A connection with requests waiting is hungry: whoever frees a slot wakes
// the hungry ones.
type slots struct {
	free  chan struct{} // a token per slot in use
	conns []*conn       // set before any connection runs
}

func newSlots(n int) *slots { return &slots{free: make(chan struct{}, n)} }

// take claims a slot without blocking.
func (s *slots) take() bool {
	select {
	case s.free <- struct{}{}:
		return true
	default:
		return false
	}
}

// give returns a slot and wakes the connections waiting for one.
func (s *slots) give() {
	<-s.free
	for _, c := range s.conns {
		if c.hungry.Load() {
			c.wake()
		}
	}
}

// registry follows which brokers the worker is registered with: it logs
// each registration and loss at info, closes ready at the first
// registration, and notes since when no broker has had the worker.
type registry struct {
	log     *zap.Logger
	ready   chan struct{}
	readyMu sync.Once

	mu     sync.Mutex
	live   map[string]int // broker → connections registered there
	total  int
	alone  time.Time // since when no connection has been registered
	warned bool      // the outage has been logged
}

func newRegistry(log *zap.Logger) *registry {
	return &registry{log: log, ready: make(chan struct{}), live: make(map[string]int), alone: time.Now()}
}

// start begins the count of time with no broker (Run's start).
func (r *registry) start(now time.Time) {
	r.mu.Lock()
	r.alone = now
	r.mu.Unlock()
}

// registered is a connection's first sign, after its READY, that the
// broker has it (any message but DISCONNECT).
func (r *registry) registered(broker string) {
	r.mu.Lock()
	r.live[broker]++
	r.total++
	first := r.live[broker] == 1
	back := r.warned
	r.warned = false
	r.mu.Unlock()
	if first {
		r.log.Info("registered with broker", zap.String("broker", broker))
	}
	if back {
		r.log.Info("a broker is reachable again", zap.String("broker", broker))
	}
	r.readyMu.Do(func() { close(r.ready) })
}

// lost is the end of a registered connection.
func (r *registry) lost(broker, why string) {
	r.mu.Lock()
	r.live[broker]--
	r.total--
	gone := r.live[broker] == 0
	if r.total == 0 {
		r.alone = time.Now()
	}
	r.mu.Unlock()
	if gone {
		r.log.Info("lost broker", zap.String("broker", broker), zap.String("why", why))
	}
}

// unreachableFor is how long no broker has had the worker (0 while one
// has).
func (r *registry) unreachableFor(now time.Time) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.total > 0 {
		return 0
	}
	return now.Sub(r.alone)
}

// warnOnce logs an outage once.
func (r *registry) warnOnce(d time.Duration) {
	r.mu.Lock()
	first := !r.warned && r.total == 0
	r.warned = r.warned || first
	r.mu.Unlock()
	if first {
		r.log.Error("no broker reachable", zap.Duration("for", d))
	}
}
