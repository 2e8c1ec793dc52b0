package workers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/internal/zsock"
	"github.com/majordomo-go/majordomo/mdp"
)

// Worker serves one service through one or more brokers. Its methods are
// safe for concurrent use. A Worker runs once: after Run returns, make a
// new one.
type Worker struct {
	brokers []string
	service string
	cfg     config
	log     *zap.Logger
	slots   *slots      // the one capacity, shared by every connection
	reg     *registry   // which brokers have us
	cache   *replyCache // recent replies, for every connection

	unreachable atomic.Bool // Run stopped because no broker was reachable

	zctx *zsock.Context // this worker's sockets; Run terminates it

	mu      sync.Mutex
	started bool
	closed  bool
	conns   []*conn

	stopping  chan struct{} // closed: take no new work, drain
	force     chan struct{} // closed: the drain deadline has passed
	done      chan struct{} // closed when Run returns
	stopOnce  sync.Once
	forceOnce sync.Once

	stale atomic.Uint64 // requests dropped unrun; see Stats
}

// Stats counts what a worker dropped.
type Stats struct {
	// Stale counts requests dropped without running the handler because
	// the broker had given up on them before the worker read them: their
	// deadline passed, or the broker disconnected the worker after sending
	// them (see the package documentation).
	Stale uint64
}

// Stats returns the worker's counters so far.
func (w *Worker) Stats() Stats { return Stats{Stale: w.stale.Load()} }

// New makes a worker for service at every broker in brokers (endpoints
// such as "tcp://127.0.0.1:5555"), all active at once: see "Several
// brokers" in the package documentation. It checks the service name, the
// options and each endpoint's syntax, and does not contact the brokers:
// Run does.
func New(brokers []string, service string, opts ...Option) (*Worker, error) {
	if len(brokers) == 0 {
		return nil, ErrNoBrokers
	}
	if err := mdp.ValidateWorkerService(service); err != nil {
		return nil, fmt.Errorf("workers: %w", err)
	}
	cfg := defaultConfig()
	var errs []error
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&cfg); err != nil {
			errs = append(errs, err)
		}
	}
	if err := cfg.check(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOption, err)
	}
	seen := make(map[string]bool, len(brokers))
	for _, b := range brokers {
		if b == "" {
			return nil, errors.New("workers: empty broker endpoint")
		}
		if seen[b] {
			return nil, fmt.Errorf("workers: broker endpoint %q given twice", b)
		}
		seen[b] = true
		if err := checkEndpoint(b); err != nil {
			return nil, fmt.Errorf("workers: broker endpoint %q: %w", b, err)
		}
	}
	log := cfg.logger.With(zap.String("service", service))
	return &Worker{
		brokers:  append([]string(nil), brokers...),
		service:  service,
		cfg:      cfg,
		log:      log,
		slots:    newSlots(cfg.concurrency),
		reg:      newRegistry(log),
		cache:    newReplyCache(cfg.dedupSize, cfg.dedupBytes, cfg.dedupTTL),
		stopping: make(chan struct{}),
		force:    make(chan struct{}),
		done:     make(chan struct{}),
	}, nil
}

// checkEndpoint lets libzmq judge the endpoint's syntax and transport.
func checkEndpoint(endpoint string) error {
	zctx, err := zsock.NewContext()
	if err != nil {
		return err
	}
	defer zctx.Term()
	s, err := zctx.NewSocket(zsock.DEALER)
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Connect(endpoint)
}

// Run registers with the broker and serves requests with h until ctx is
// cancelled or Shutdown is called, then drains: it tells the broker to send
// no more work, lets the handlers in flight answer (for up to the drain
// timeout after ctx is cancelled, or until Shutdown's context is done),
// sends DISCONNECT and returns once every handler has returned. Run returns
// nil after a complete drain, an error wrapping ErrDrainTimeout when
// handlers had to be cancelled, ErrClosed when the worker has already run or
// been shut down, and any error making sockets.
//
// Losing the broker is not an error: the worker reconnects on a new socket,
// with backoff, and registers again.
func (w *Worker) Run(ctx context.Context, h Handler) error {
	if h == nil {
		return errors.New("workers: nil handler")
	}
	w.mu.Lock()
	if w.started || w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	zctx, err := zsock.NewContext()
	if err != nil {
		w.mu.Unlock()
		return fmt.Errorf("workers: zmq context: %w", err)
	}
	w.zctx = zctx
	w.started = true
	n, capacity := 1, w.cfg.concurrency
	if w.cfg.protocol != ProtocolExtension {
		n, capacity = w.cfg.concurrency, 1
	}
	if err := w.makeConns(h, n, capacity); err != nil {
		w.mu.Unlock()
		close(w.done)
		w.term()
		return err
	}
	w.mu.Unlock()
	defer close(w.done)

	var wg sync.WaitGroup
	errs := make([]error, len(w.conns))
	for i, c := range w.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = c.run(ctx); errs[i] != nil && !errors.Is(errs[i], ErrDrainTimeout) {
				w.beginStop()
				w.forceStop()
			}
		}()
	}
	allDone := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		w.watch(ctx, allDone)
	}()
	w.reg.start(time.Now())
	monitored := make(chan struct{})
	go func() {
		defer close(monitored)
		w.monitor(allDone)
	}()
	wg.Wait()
	close(allDone)
	<-watched
	<-monitored
	w.term()
	if w.unreachable.Load() {
		errs = append(errs, fmt.Errorf("%w for %v", ErrUnreachable, w.cfg.unreachableTimeout))
	}
	return joinErrors(errs)
}

// makeConns makes n connections of the given capacity to each broker.
func (w *Worker) makeConns(h Handler, n, capacity int) error {
	for _, b := range w.brokers {
		for range n {
			c, err := newConn(w, b, h, capacity)
			if err != nil {
				for _, c := range w.conns {
					c.sig.Close()
				}
				w.conns = nil
				return err
			}
			w.conns = append(w.conns, c)
		}
	}
	w.slots.conns = w.conns
	return nil
}

// Ready is closed once the worker is registered with a broker: the broker
// has sent something after its READY on at least one connection. MDP does
// not acknowledge READY, so that is the broker's first heartbeat (one
// heartbeat interval after the connection) unless a request comes sooner;
// requests sent meanwhile wait in the broker for the worker.
func (w *Worker) Ready() <-chan struct{} { return w.reg.ready }

// monitor logs, once per outage, when no broker has had the worker for the
// unreachable timeout, and with WithExitWhenUnreachable stops the worker.
func (w *Worker) monitor(allDone <-chan struct{}) {
	limit := w.cfg.unreachableTimeout
	t := time.NewTicker(min(max(limit/4, time.Millisecond), time.Second))
	defer t.Stop()
	for {
		select {
		case <-allDone:
			return
		case now := <-t.C:
			d := w.reg.unreachableFor(now)
			if d < limit || w.isStopping() {
				continue
			}
			w.reg.warnOnce(d)
			if w.cfg.exitUnreachable {
				w.unreachable.Store(true)
				w.beginStop()
				w.forceStop()
				return
			}
		}
	}
}

// term ends the worker's zmq context once every socket is closed: it waits
// (up to closeLinger) until the last replies and the DISCONNECT have left,
// which a process that exits right after Run would otherwise cut off.
func (w *Worker) term() {
	done := make(chan error, 1)
	go func() { done <- w.zctx.Term() }()
	select {
	case err := <-done:
		if err != nil {
			w.log.Warn("zmq context did not end cleanly", zap.Error(err))
		}
	case <-time.After(closeLinger + time.Second):
		w.log.Error("zmq context still has open sockets; leaving it")
	}
}

// watch starts the drain when ctx is cancelled and forces the end after the
// drain timeout.
func (w *Worker) watch(ctx context.Context, allDone <-chan struct{}) {
	select {
	case <-allDone:
		return
	case <-ctx.Done():
	}
	w.beginStop()
	t := time.NewTimer(w.cfg.drainTimeout)
	defer t.Stop()
	select {
	case <-allDone:
	case <-t.C:
		w.forceStop()
	}
}

// joinErrors reports each distinct failure once.
func joinErrors(errs []error) error {
	var out []error
	drain := false
	for _, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, ErrDrainTimeout):
			drain = true
		default:
			out = append(out, err)
		}
	}
	if drain {
		out = append(out, ErrDrainTimeout)
	}
	return errors.Join(out...)
}

// Shutdown stops the worker gracefully, as cancelling Run's context does,
// but with ctx bounding the drain: it returns nil once Run has returned, or
// ctx.Err() when ctx is done first, in which case the handlers' contexts are
// cancelled and Run returns as soon as they have returned. Shutdown before
// Run makes Run return ErrClosed.
func (w *Worker) Shutdown(ctx context.Context) error {
	w.mu.Lock()
	if !w.started {
		w.closed = true
		w.mu.Unlock()
		return nil
	}
	w.mu.Unlock()
	w.beginStop()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		w.forceStop()
		return ctx.Err()
	}
}

func (w *Worker) beginStop() {
	w.stopOnce.Do(func() {
		close(w.stopping)
		w.wakeAll()
	})
}

func (w *Worker) forceStop() {
	w.forceOnce.Do(func() {
		close(w.force)
		w.wakeAll()
	})
}

func (w *Worker) wakeAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.conns {
		c.wake()
	}
}

func (w *Worker) isStopping() bool { return isClosed(w.stopping) }
func (w *Worker) isForced() bool   { return isClosed(w.force) }

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
