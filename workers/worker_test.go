package workers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
)

// Test timings. Heartbeats are fast, but the silence that counts as death
// is long (1 s on both sides): a loaded CI machine can stall a goroutine
// for hundreds of milliseconds (500 ms at our broker was seen to expire a
// worker under GOMAXPROCS=1 at a load of 4.6 on two cores), and a test
// must never mistake that for a dead peer.
const (
	testHB             = 20 * time.Millisecond
	testLiveness       = 50
	testBrokerLiveness = 50
)

// running is a worker started by startWorker.
type running struct {
	w      *Worker
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// wait waits for Run to return and gives its error.
func (r *running) wait(t *testing.T) error {
	t.Helper()
	r.once.Do(func() {
		select {
		case r.err = <-r.done:
		case <-time.After(20 * time.Second):
			t.Fatal("Run did not return")
		}
	})
	return r.err
}

func startWorker(t *testing.T, ep, service string, h Handler, opts ...Option) *running {
	t.Helper()
	opts = append([]Option{WithHeartbeat(testHB), WithLiveness(testLiveness), WithReconnect(5*time.Millisecond, 50*time.Millisecond),
		WithLogger(zaptest.NewLogger(t))}, opts...)
	w, err := New([]string{ep}, service, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{w: w, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- w.Run(ctx, h) }()
	t.Cleanup(func() {
		cancel()
		_ = r.wait(t)
	})
	return r
}

func echo(_ context.Context, req *Request) ([][]byte, error) { return req.Body, nil }

// xrequest is an extension request from the fake broker to a worker.
func xrequest(client string, id uuid.UUID, flags mdp.Flags, body ...string) mdp.Message {
	m := mdp.Message{Version: mdp.V02, Kind: mdp.WorkerRequest, Ext: true, Address: []byte(client), UUID: id, Flags: flags, Timeout: 5 * time.Second}
	for _, b := range body {
		m.Body = append(m.Body, []byte(b))
	}
	return m
}

func finalFor(id uuid.UUID) func(mdptest.Logged) bool {
	return func(m mdptest.Logged) bool {
		return (m.Msg.Kind == mdp.WorkerFinal || m.Msg.Kind == mdp.WorkerError) && m.Msg.UUID == id
	}
}

func TestExtensionRequestReply(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	var got atomic.Pointer[Request]
	startWorker(t, b.Endpoint, "echo", HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		got.Store(req)
		if _, ok := ctx.Deadline(); !ok {
			return nil, errors.New("no deadline on the context")
		}
		return req.Body, nil
	}), WithConcurrency(3), WithTier(2))

	ready := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	if !ready.Msg.Ext || ready.Msg.Service != "echo" || ready.Msg.Tier != 2 || ready.Msg.Capacity != 3 || ready.Msg.Heartbeat != testHB {
		t.Fatalf("READY = %+v", ready.Msg)
	}
	id := uuid.New()
	b.Send(ready.From, xrequest("client-1", id, mdp.FlagClientUUID, "hello", "world"))
	final := b.Wait(1, "XFINAL", finalFor(id))
	if final.Msg.Kind != mdp.WorkerFinal || !final.Msg.Ext || string(final.Msg.Address) != "client-1" || !bodyIs(final.Msg.Body, "hello", "world") {
		t.Fatalf("FINAL = %+v", final.Msg)
	}
	req := got.Load()
	if req.UUID != id || !req.ClientUUID || req.Service != "echo" || req.Deadline.IsZero() {
		t.Fatalf("request = %+v", req)
	}
}

func TestErrorReplies(t *testing.T) {
	handler := HandlerFunc(func(_ context.Context, req *Request) ([][]byte, error) {
		switch string(req.Body[0]) {
		case "typed":
			return nil, fmt.Errorf("wrapped: %w", Errorf(mdp.StatusNotFound, "no such key %q", "k"))
		case "bad-code":
			return nil, &Error{Status: 200, Text: "not an error code"}
		case "panic":
			panic("boom")
		default:
			return nil, errors.New("disk on fire")
		}
	})
	t.Run("extension", func(t *testing.T) {
		b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
		startWorker(t, b.Endpoint, "svc", handler)
		ready := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
		cases := []struct {
			body   string
			status mdp.Status
			text   string
		}{
			{"typed", mdp.StatusNotFound, `no such key "k"`},
			{"bad-code", mdp.StatusInternal, "not an error code"},
			{"other", mdp.StatusInternal, "disk on fire"},
			{"panic", mdp.StatusInternal, "handler panicked"},
		}
		for _, c := range cases {
			id := uuid.New()
			b.Send(ready.From, xrequest("c", id, 0, c.body))
			got := b.Wait(1, "XERROR for "+c.body, finalFor(id)).Msg
			if got.Kind != mdp.WorkerError || got.Status != c.status || got.Text != c.text {
				t.Errorf("%s: got %v %d %q, want XERROR %d %q", c.body, got.Kind, got.Status, got.Text, c.status, c.text)
			}
		}
	})
	for _, p := range []struct {
		protocol Protocol
		version  mdp.Version
	}{{ProtocolV02, mdp.V02}, {ProtocolV01, mdp.V01}} {
		t.Run(p.protocol.String(), func(t *testing.T) {
			b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, true)
			startWorker(t, b.Endpoint, "svc", handler, WithProtocol(p.protocol))
			b.Wait(1, "READY", mdptest.IsKind(mdp.WorkerReady))
			c := newTestClient(t, b.Endpoint, p.version)
			c.request("svc", "typed")
			if got := c.recv(); got.Kind != mdp.ClientFinal || got.Version != p.version || !bodyIs(got.Body, `404 no such key "k"`) {
				t.Fatalf("plain error reply = %v %v %q", got.Version, got.Kind, got.Body)
			}
			c.request("svc", "panic")
			if got := c.recv(); got.Kind != mdp.ClientFinal || !bodyIs(got.Body, "500 handler panicked") {
				t.Fatalf("plain reply to a panic = %v %q", got.Kind, got.Body)
			}
		})
	}
}

// A panic becomes a 500 reply, is logged (with its value and stack) to the
// logger given with WithLogger, and the worker serves the next request on
// the same registration.
func TestPanicKeepsServing(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	var calls atomic.Int32
	core, logs := observer.New(zap.ErrorLevel)
	startWorker(t, b.Endpoint, "svc", HandlerFunc(func(_ context.Context, req *Request) ([][]byte, error) {
		if calls.Add(1) == 1 {
			panic(fmt.Sprintf("first call with %q", req.Body[0]))
		}
		return req.Body, nil
	}), WithLogger(zap.New(core)))
	ready := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	first, second := uuid.New(), uuid.New()
	b.Send(ready.From, xrequest("c", first, 0, "a"))
	if got := b.Wait(1, "XERROR", finalFor(first)).Msg; got.Kind != mdp.WorkerError || got.Status != mdp.StatusInternal {
		t.Fatalf("after a panic got %v %d", got.Kind, got.Status)
	}
	b.Send(ready.From, xrequest("c", second, 0, "b"))
	if got := b.Wait(1, "XFINAL", finalFor(second)).Msg; got.Kind != mdp.WorkerFinal || !bodyIs(got.Body, "b") {
		t.Fatalf("after the panic got %v %q", got.Kind, got.Body)
	}
	if n := len(b.Messages(mdptest.IsKind(mdp.WorkerReady))); n != 1 {
		t.Fatalf("worker registered %d times, want once", n)
	}
	entries := logs.FilterMessage("handler panicked").All()
	if len(entries) != 1 {
		t.Fatalf("%d panic log entries, want 1", len(entries))
	}
	fields := entries[0].ContextMap()
	if fields["service"] != "svc" || fields["panic"] != `first call with "a"` || !strings.Contains(fmt.Sprint(fields["stack"]), "runJob") {
		t.Fatalf("panic logged with %v", fields)
	}
}

// WithMaxMessageSize: a larger request gets 413 without running the
// handler, a larger reply becomes 500.
func TestMaxMessageSize(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	var calls atomic.Int32
	startWorker(t, b.Endpoint, "svc", HandlerFunc(func(_ context.Context, req *Request) ([][]byte, error) {
		calls.Add(1)
		if string(req.Body[0]) == "partial" {
			if err := req.Partial([]byte("0123456789"), []byte("0123456789")); !errors.Is(err, ErrTooLarge) {
				return nil, fmt.Errorf("large partial: %v", err)
			}
			if err := req.Partial([]byte("fits")); err != nil {
				return nil, err
			}
			return [][]byte{[]byte("ok")}, nil
		}
		return [][]byte{[]byte("0123456789"), []byte("0123456789")}, nil
	}), WithMaxMessageSize(16))
	ready := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	big, small := uuid.New(), uuid.New()
	b.Send(ready.From, xrequest("c", big, 0, "0123456789", "0123456789"))
	if got := b.Wait(1, "XERROR", finalFor(big)).Msg; got.Kind != mdp.WorkerError || got.Status != mdp.StatusTooLarge {
		t.Fatalf("large request: %v %d", got.Kind, got.Status)
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("handler ran %d times for a request over the limit", n)
	}
	b.Send(ready.From, xrequest("c", small, 0, "x"))
	if got := b.Wait(1, "XERROR", finalFor(small)).Msg; got.Kind != mdp.WorkerError || got.Status != mdp.StatusInternal || got.Text != "reply too large" {
		t.Fatalf("large reply: %v %d %q", got.Kind, got.Status, got.Text)
	}
	partial := uuid.New()
	b.Send(ready.From, xrequest("c", partial, 0, "partial"))
	if got := b.Wait(1, "XFINAL", finalFor(partial)).Msg; got.Kind != mdp.WorkerFinal || !bodyIs(got.Body, "ok") {
		t.Fatalf("after a refused partial: %v %d %q %q", got.Kind, got.Status, got.Text, got.Body)
	}
	var parts [][][]byte
	for _, m := range b.Messages(func(m mdptest.Logged) bool { return m.Msg.UUID == partial && m.Msg.Kind == mdp.WorkerPartial }) {
		parts = append(parts, m.Msg.Body)
	}
	if len(parts) != 1 || !bodyIs(parts[0], "fits") {
		t.Fatalf("partials sent %q, want only the one that fits", parts)
	}
}
