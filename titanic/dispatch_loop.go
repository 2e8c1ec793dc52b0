package titanic

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/internal/wakeup"
	"github.com/majordomo-go/majordomo/internal/zready"
	"github.com/majordomo-go/majordomo/internal/zsock"
	"github.com/majordomo-go/majordomo/mdp"
)

// maxBatch bounds the messages read per poll, so that timers keep firing
// under a flood of replies.
const maxBatch = 256

// What the loop waits for (internal/zready ids): its wake-up signal and
// its DEALER.
const (
	wakeID   = 0
	dealerID = 1
)

// dispatchLoop is the goroutine that owns the dispatcher's DEALER socket
// (majordomo extension client: each request goes out with its stored UUID,
// which the client SDK does not let a caller choose) and the dispatcher's
// state. Other goroutines hand it new requests through submit, which wakes
// it through sig: no socket is shared between goroutines.
type dispatchLoop struct {
	log    *zap.Logger
	store  *Store
	d      *dispatcher
	zctx   *zsock.Context // the loop's own, terminated by closeSockets
	dealer *zsock.Socket
	sig    *wakeup.Signal // Wake from any goroutine (submit, stop)
	ready  *zready.Set    // what run waits for: sig and the DEALER

	mu       sync.Mutex
	incoming []Entry // guarded by mu
	closing  bool    // guarded by mu

	finishing sync.WaitGroup // goroutines storing results
}

func newDispatchLoop(cfg *Config, store *Store, stats *counters) (_ *dispatchLoop, err error) {
	l := &dispatchLoop{log: cfg.Logger, store: store}
	defer func() {
		if err != nil {
			l.closeSockets()
		}
	}()
	if l.zctx, err = zsock.NewContext(); err != nil {
		return nil, fmt.Errorf("titanic: %w", err)
	}
	if l.dealer, err = openDealer(l.zctx, cfg); err != nil {
		return nil, err
	}
	if l.sig, err = wakeup.New(); err != nil {
		return nil, fmt.Errorf("titanic: %w", err)
	}
	if l.ready, err = zready.New(); err != nil {
		return nil, fmt.Errorf("titanic: %w", err)
	}
	if err = l.ready.AddFd(wakeID, l.sig.Fd()); err != nil {
		return nil, fmt.Errorf("titanic: %w", err)
	}
	if err = l.ready.AddSocket(dealerID, l.dealer); err != nil {
		return nil, fmt.Errorf("titanic: %w", err)
	}
	l.d = newDispatcher(cfg, store, l, stats, l.finish)
	return l, nil
}

// submit hands a newly stored request to the dispatcher. Safe for use by
// many goroutines.
func (l *dispatchLoop) submit(e Entry) {
	l.mu.Lock()
	l.incoming = append(l.incoming, e)
	first := len(l.incoming) == 1
	l.mu.Unlock()
	if first {
		l.sig.Wake() // coalesced; after closeSockets it does nothing
	}
}

func (l *dispatchLoop) stop() {
	l.mu.Lock()
	l.closing = true
	l.mu.Unlock()
	l.sig.Wake()
}

// run dispatches until ctx is cancelled, then waits for the results being
// stored and closes the sockets. Interrupted waits (EINTR) are retried by
// zready and receives and sends by zsock.
func (l *dispatchLoop) run(ctx context.Context) error {
	stopWatch := context.AfterFunc(ctx, l.stop)
	defer stopWatch()
	defer l.closeSockets()
	defer l.finishing.Wait()
	for {
		ids, err := l.ready.Wait(l.pollTimeout(time.Now()))
		if err != nil {
			return fmt.Errorf("titanic: dispatcher poll: %w", err)
		}
		for _, id := range ids {
			if id == wakeID {
				if l.takeIncoming(time.Now()) {
					return nil
				}
			} else {
				l.receive(time.Now())
			}
		}
		now := time.Now()
		l.d.fire(now)
		l.d.pump(now)
	}
}

func (l *dispatchLoop) pollTimeout(now time.Time) time.Duration {
	wait := time.Duration(-1)
	if due, ok := l.d.timers.next(); ok {
		wait = max(0, due.Sub(now)+time.Millisecond-1).Truncate(time.Millisecond)
	}
	if l.d.waiting() && (wait < 0 || wait > l.d.cfg.ProbeInterval) {
		wait = l.d.cfg.ProbeInterval
	}
	return wait
}

// takeIncoming moves submitted requests to the dispatcher; it reports
// whether the loop is to stop.
func (l *dispatchLoop) takeIncoming(now time.Time) bool {
	l.sig.Clear() // before the queue is taken
	l.mu.Lock()
	in, closing := l.incoming, l.closing
	l.incoming = nil
	l.mu.Unlock()
	for _, e := range in {
		l.d.add(e, now)
	}
	return closing
}

func (l *dispatchLoop) receive(now time.Time) {
	for range maxBatch {
		frames, err := l.dealer.Recv(zsock.DontWait)
		if err != nil && !errors.Is(err, zsock.ErrTooManyFrames) && !errors.Is(err, zsock.ErrTooLarge) {
			return // EAGAIN: nothing more for now
		}
		// A message cut short (no zsock broker forwards one) is malformed.
		var m mdp.Message
		if err == nil {
			m, err = mdp.ParseDealer(frames)
		}
		if err == nil && !m.Ext {
			err = fmt.Errorf("%s %s without the extension", m.Version, m.Kind)
		}
		if err != nil {
			l.d.stats.malformed.Add(1)
			l.log.Warn("titanic: dropped a malformed message from the broker", zap.Error(err))
			continue
		}
		l.d.onReply(&m, now)
	}
}

// send implements sender: one XREQUEST, never blocking.
func (l *dispatchLoop) send(service string, id uuid.UUID, timeout time.Duration, body [][]byte) {
	m := mdp.Message{Version: mdp.V02, Kind: mdp.ClientRequest, Ext: true, Service: service, UUID: id,
		Timeout: timeout, Body: body}
	frames, err := m.Frames()
	if err == nil {
		err = l.dealer.Send(frames, zsock.DontWait)
	}
	if err != nil {
		l.d.stats.sendErrors.Add(1)
		l.log.Debug("titanic: send failed; the attempt will time out", zap.Stringer("uuid", id), zap.Error(err))
	}
}

// finish stores a result in a goroutine of its own, so that results arriving
// together share a commit and the loop never waits for the disk.
func (l *dispatchLoop) finish(id uuid.UUID, res Result) {
	l.finishing.Add(1)
	go func() {
		defer l.finishing.Done()
		if _, err := l.store.Finish(id, res); err != nil {
			l.log.Error("titanic: storing a result; the request will be dispatched again after a restart",
				zap.Stringer("uuid", id), zap.Error(err))
		}
	}()
}

// closeSockets closes what the loop owns, each at most once: the set
// before the socket whose ZMQ_FD it watches, the socket before the context
// it was made from. Only the loop's goroutine calls it (or Run before the
// loop starts); a Wake racing with the Signal's Close is harmless.
func (l *dispatchLoop) closeSockets() {
	if l.ready != nil {
		_ = l.ready.Close()
		l.ready = nil
	}
	if l.dealer != nil {
		l.dealer.Close()
	}
	if l.sig != nil {
		_ = l.sig.Close()
	}
	if l.zctx != nil {
		if err := l.zctx.Term(); err != nil {
			l.log.Warn("titanic: terminating the dispatcher's ZeroMQ context", zap.Error(err))
		}
		l.zctx = nil
	}
}
