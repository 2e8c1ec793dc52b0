package clients

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/majordomo-go/majordomo/internal/wakeup"
	"github.com/majordomo-go/majordomo/mdp"
)

// Client sends requests to services through one or more brokers. A Client
// is safe for use by many goroutines at once.
type Client struct {
	opts    options
	brokers []string
	stats   counters

	mu     sync.Mutex
	closed bool
	queue  []command      // for the loop, in order
	wake   *wakeup.Signal // the loop's; Wake is safe from any goroutine

	loopDone chan struct{}
}

// New makes a Client for the given broker endpoints (ZeroMQ addresses such
// as "tcp://127.0.0.1:5555"). With more than one, a request whose attempt
// times out is retried on the next broker in the list. The sockets are set
// up (and bad endpoints reported) here; brokers need not be running yet.
func New(brokers []string, opts ...Option) (*Client, error) {
	if len(brokers) == 0 {
		return nil, ErrNoBrokers
	}
	o, err := applyOptions(opts)
	if err != nil {
		return nil, err
	}
	c := &Client{opts: o, brokers: append([]string(nil), brokers...), loopDone: make(chan struct{})}
	l, err := newLoop(c)
	if err != nil {
		return nil, err
	}
	c.wake = l.sig
	go l.run()
	return c, nil
}

// Go sends a request and returns at once; the Call's Done channel is closed
// when it has finished. ctx bounds the whole request, retries included; its
// deadline also travels to the broker, which drops the request once it has
// passed. Cancelling ctx ends the call with an error wrapping ctx.Err().
func (c *Client) Go(ctx context.Context, service string, body ...[]byte) *Call {
	call := newCall(service, body)
	c.submit(ctx, call, nil)
	return call
}

// Request sends a request and waits for its FINAL reply. Errors: ErrTimeout
// when every attempt timed out (also matching context.DeadlineExceeded when
// ctx's deadline passed), a *ServiceError for an error reply, ErrClosed, or
// ctx's cancellation.
func (c *Client) Request(ctx context.Context, service string, body ...[]byte) ([][]byte, error) {
	return c.Go(ctx, service, body...).Wait()
}

// Stream sends a request whose PARTIAL replies are read one by one, then
// its FINAL reply. Close the Stream when done with it.
func (c *Client) Stream(ctx context.Context, service string, body ...[]byte) *Stream {
	ctx, cancel := context.WithCancel(ctx)
	call := newCall(service, body)
	s := newStream(call, cancel)
	c.submit(ctx, call, cancel)
	return s
}

// Read sends a request to the read side of a store: the service
// STORE.read (see the read/write model in the architecture).
func (c *Client) Read(ctx context.Context, store string, body ...[]byte) ([][]byte, error) {
	return c.Request(ctx, store+".read", body...)
}

// Write sends a request to the write side of a store: the service
// STORE.write. Its retries carry the same request UUID, so a write service
// that drops duplicates by UUID applies it once.
func (c *Client) Write(ctx context.Context, store string, body ...[]byte) ([][]byte, error) {
	return c.Request(ctx, store+".write", body...)
}

// Close fails every request still running with ErrClosed, closes the
// sockets and waits until the Client's goroutine has ended. Requests made
// afterwards fail with ErrClosed. Close may be called more than once.
func (c *Client) Close() error {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		c.queue = append(c.queue, command{kind: cmdClose})
		c.wakeLocked()
	}
	c.mu.Unlock()
	<-c.loopDone
	return nil
}

func (c *Client) submit(ctx context.Context, call *Call, cancel context.CancelFunc) {
	if err := mdp.ValidateService(call.Service); err != nil {
		finishEarly(call, cancel, fmt.Errorf("clients: %w", err))
		return
	}
	id, err := uuid.NewRandom()
	if err != nil {
		finishEarly(call, cancel, fmt.Errorf("clients: request UUID: %w", err))
		return
	}
	c.stats.requests.Add(1)
	r := &request{id: id, ctx: ctx, call: call, cancel: cancel, index: -1}
	if c.opts.failFast {
		r.flags = mdp.FlagFailFast
	}
	if dl, ok := ctx.Deadline(); ok {
		r.deadline = dl
	}
	// A cancellation posted before the submit is ignored by the loop, which
	// checks ctx itself when the submit arrives. A ctx that can never be
	// cancelled (context.Background) needs no watcher.
	r.stopCtx = noWatcher
	if ctx.Done() != nil {
		r.stopCtx = context.AfterFunc(ctx, func() {
			c.post(command{kind: cmdCancel, id: id})
		})
	}
	if !c.post(command{kind: cmdSubmit, req: r}) {
		r.stopCtx()
		finishEarly(call, cancel, ErrClosed)
	}
}

// noWatcher is the stopCtx of a request whose ctx is never cancelled.
func noWatcher() bool { return true }

func finishEarly(call *Call, cancel context.CancelFunc, err error) {
	call.finish(nil, err)
	if cancel != nil {
		cancel()
	}
}

// post hands a command to the loop; false when the Client is closed.
func (c *Client) post(cmd command) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.queue = append(c.queue, cmd)
	c.wakeLocked()
	return true
}

// wakeLocked wakes the loop; wake-ups are coalesced by the signal.
func (c *Client) wakeLocked() { c.wake.Wake() }

// takeCommands is the loop's side of post.
func (c *Client) takeCommands(buf []command) []command {
	c.mu.Lock()
	buf = append(buf[:0], c.queue...)
	clear(c.queue)
	c.queue = c.queue[:0]
	c.mu.Unlock()
	return buf
}

type counters struct {
	requests, attempts, retries, replies, partials atomic.Uint64
	stale, malformed, timeouts, cancelled, closed  atomic.Uint64
	rejected, cancels, cancelsDropped              atomic.Uint64
	pending                                        atomic.Int64
}
