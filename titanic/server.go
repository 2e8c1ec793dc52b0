package titanic

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
)

// Server is Titanic: the workers of titanic.request, titanic.reply and
// titanic.close, the dispatcher, and the store under them.
type Server struct {
	cfg   Config
	store *Store
	stats counters
	proto protocol
	ran   atomic.Bool
}

// counters are the Server's event counts.
type counters struct {
	stored, rejected, badRequests, closed atomic.Uint64
	dispatched, retries, replied, failed  atomic.Uint64
	expired, swept, malformed, sendErrors atomic.Uint64
}

// New opens the store (ErrCorrupt, ErrLocked: it does not start) and
// prepares the Server; Run serves.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	store, err := OpenStore(cfg.Dir, StoreOptions{MaxBytes: cfg.MaxBytes, NoGroupCommit: cfg.NoGroupCommit,
		BatchDelay: cfg.BatchDelay, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, store: store}
	s.proto = protocol{cfg: &s.cfg, store: store, stats: &s.stats, now: time.Now}
	return s, nil
}

// Close releases a Server that will not be run: it closes the store. Run
// closes the store itself; Close after Run, or twice, does nothing.
func (s *Server) Close() error {
	if s.ran.CompareAndSwap(false, true) {
		return s.store.Close()
	}
	return nil
}

// Run serves until ctx is cancelled, then stops the workers (they drain),
// the dispatcher and the sweeper, and closes the store. A Server runs once.
func (s *Server) Run(ctx context.Context) error {
	if !s.ran.CompareAndSwap(false, true) {
		return ErrClosed
	}
	defer s.store.Close()
	loop, err := newDispatchLoop(&s.cfg, s.store, &s.stats)
	if err != nil {
		return err
	}
	pending, err := s.store.Pending()
	if err != nil {
		loop.closeSockets()
		return err
	}
	for _, e := range pending {
		loop.submit(e)
	}
	s.proto.submit = loop.submit
	s.cfg.Logger.Info("titanic started", zap.String("broker", s.cfg.Broker), zap.String("store", s.store.Path()),
		zap.Int("pending", len(pending)), zap.Int64("max_bytes", s.cfg.MaxBytes))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	goRun := func(f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil && ctx.Err() == nil {
				errs <- err
				cancel()
			}
		}()
	}
	for _, w := range []struct {
		name string
		conc int
		fn   func(*workers.Request) [][]byte
	}{{mdp.TitanicRequest, s.cfg.Concurrency, s.proto.requestFrom}, {mdp.TitanicReply, 16, bodyOnly(s.proto.reply)},
		{mdp.TitanicClose, 16, bodyOnly(s.proto.close)}} {
		opts := append([]workers.Option{workers.WithConcurrency(w.conc), workers.WithHeartbeat(s.cfg.Heartbeat),
			workers.WithLogger(s.cfg.Logger.Named(w.name))}, s.cfg.workerCurve()...)
		wk, err := workers.New([]string{s.cfg.Broker}, w.name, opts...)
		if err != nil {
			cancel()
			wg.Wait()
			loop.closeSockets()
			return fmt.Errorf("titanic: worker %s: %w", w.name, err)
		}
		h := handlerFor(w.fn)
		goRun(func(ctx context.Context) error { return wk.Run(ctx, h) })
	}
	goRun(loop.run)
	goRun(s.sweep)
	wg.Wait()
	close(errs)
	return errors.Join(collect(errs)...)
}

// handlerFor adapts a protocol method: every answer is an ordinary reply.
func handlerFor(fn func(*workers.Request) [][]byte) workers.Handler {
	return workers.HandlerFunc(func(_ context.Context, req *workers.Request) ([][]byte, error) {
		return fn(req), nil
	})
}

func bodyOnly(fn func([][]byte) [][]byte) func(*workers.Request) [][]byte {
	return func(req *workers.Request) [][]byte { return fn(req.Body) }
}

func collect(errs <-chan error) []error {
	var out []error
	for err := range errs {
		out = append(out, err)
	}
	return out
}

// sweep removes, every SweepInterval, the finished requests older than
// Retention.
func (s *Server) sweep(ctx context.Context) error {
	t := time.NewTicker(s.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			n, err := s.store.Sweep(now.Add(-s.cfg.Retention))
			if err != nil {
				s.cfg.Logger.Error("titanic: garbage collection failed", zap.Error(err))
				continue
			}
			s.stats.swept.Add(uint64(n))
		}
	}
}
