package titanic

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
	zmq "github.com/pebbe/zmq4"
	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/mdp"
)

// maxBatch bounds the messages read per poll, so that timers keep firing
// under a flood of replies.
const maxBatch = 256

// dispatchLoop is the goroutine that owns the dispatcher's DEALER socket
// (majordomo extension client: each request goes out with its stored UUID,
// which the client SDK does not let a caller choose) and the dispatcher's
// state. Other goroutines hand it new requests through submit.
type dispatchLoop struct {
	log    *zap.Logger
	store  *Store
	d      *dispatcher
	dealer *zmq.Socket
	wakeIn *zmq.Socket

	mu       sync.Mutex
	wakeOut  *zmq.Socket // guarded by mu
	incoming []Entry
	closing  bool

	finishing sync.WaitGroup // goroutines storing results
}

func newDispatchLoop(cfg *Config, store *Store, stats *counters) (_ *dispatchLoop, err error) {
	l := &dispatchLoop{log: cfg.Logger, store: store}
	defer func() {
		if err != nil {
			l.closeSockets()
		}
	}()
	if l.dealer, err = openDealer(cfg); err != nil {
		return nil, err
	}
	addr := "inproc://titanic-wake-" + uuid.NewString()
	if l.wakeIn, err = openSocket(zmq.PAIR, addr, true); err != nil {
		return nil, err
	}
	if l.wakeOut, err = openSocket(zmq.PAIR, addr, false); err != nil {
		return nil, err
	}
	l.d = newDispatcher(cfg, store, l, stats, l.finish)
	return l, nil
}

func openSocket(t zmq.Type, endpoint string, bind bool) (*zmq.Socket, error) {
	s, err := zmq.NewSocket(t)
	if err != nil {
		return nil, fmt.Errorf("titanic: socket: %w", err)
	}
	s.SetLinger(0)
	if bind {
		err = s.Bind(endpoint)
	} else {
		err = s.Connect(endpoint)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("titanic: %s: %w", endpoint, err)
	}
	return s, nil
}

// submit hands a newly stored request to the dispatcher. Safe for use by
// many goroutines.
func (l *dispatchLoop) submit(e Entry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.incoming = append(l.incoming, e)
	if len(l.incoming) == 1 {
		l.wakeLocked()
	}
}

func (l *dispatchLoop) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closing = true
	l.wakeLocked()
}

func (l *dispatchLoop) wakeLocked() {
	if l.wakeOut != nil {
		l.wakeOut.SendBytes([]byte{0}, zmq.DONTWAIT) // a full pipe is already a wake-up
	}
}

// run dispatches until ctx is cancelled, then waits for the results being
// stored and closes the sockets.
func (l *dispatchLoop) run(ctx context.Context) error {
	stopWatch := context.AfterFunc(ctx, l.stop)
	defer stopWatch()
	defer l.closeSockets()
	defer l.finishing.Wait()
	poller := zmq.NewPoller()
	poller.Add(l.dealer, zmq.POLLIN)
	poller.Add(l.wakeIn, zmq.POLLIN)
	for {
		polled, err := poller.Poll(l.pollTimeout(time.Now()))
		if err != nil && zmq.AsErrno(err) != zmq.Errno(syscall.EINTR) {
			return fmt.Errorf("titanic: dispatcher poll: %w", err)
		}
		for _, p := range polled {
			if p.Socket == l.wakeIn {
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
	for {
		if _, err := l.wakeIn.RecvBytes(zmq.DONTWAIT); err != nil {
			break
		}
	}
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
		frames, err := l.dealer.RecvMessageBytes(zmq.DONTWAIT)
		if err != nil {
			return
		}
		m, err := mdp.ParseDealer(frames)
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
		_, err = l.dealer.SendMessageDontwait(frames)
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

func (l *dispatchLoop) closeSockets() {
	for _, s := range []*zmq.Socket{l.dealer, l.wakeIn} {
		if s != nil {
			s.Close()
		}
	}
	l.mu.Lock()
	if l.wakeOut != nil {
		l.wakeOut.Close()
		l.wakeOut = nil
	}
	l.mu.Unlock()
}
