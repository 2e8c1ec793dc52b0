package workers

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
)

// Shutdown sends XDRAIN, lets the request in flight finish and be
// answered, then sends DISCONNECT; Run and Shutdown return nil.
func TestGracefulShutdown(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	started := make(chan struct{})
	release := make(chan struct{})
	r := startWorker(t, b.ep, "svc", HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		close(started)
		awaitRelease(ctx, release)
		return [][]byte{[]byte("finished")}, ctx.Err()
	}))
	ready := b.wait(1, "XREADY", isKind(mdp.WorkerReady))
	id := uuid.New()
	b.send(ready.id, xrequest("c", id, 0))
	mdptest.Receive(t, started, "a handler to start")
	shut := make(chan error, 1)
	go func() { shut <- r.w.Shutdown(context.Background()) }()
	b.wait(1, "XDRAIN", isKind(mdp.WorkerDrain))
	if n := len(b.messages(isKind(mdp.WorkerDisconnect))); n != 0 {
		t.Fatal("DISCONNECT before the request in flight finished")
	}
	close(release)
	if err := mdptest.Receive(t, shut, "Shutdown to return"); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := r.wait(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	b.wait(1, "DISCONNECT", isKind(mdp.WorkerDisconnect))
	var order []mdp.Kind
	for _, m := range b.messages(func(m brokerMsg) bool { return m.msg.Kind != mdp.WorkerHeartbeat }) {
		order = append(order, m.msg.Kind)
	}
	want := []mdp.Kind{mdp.WorkerReady, mdp.WorkerDrain, mdp.WorkerFinal, mdp.WorkerDisconnect}
	if len(order) != len(want) {
		t.Fatalf("messages %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("messages %v, want %v", order, want)
		}
	}
	if got := b.wait(1, "FINAL", finalFor(id)); !bodyIs(got.msg.Body, "finished") {
		t.Fatalf("FINAL %q", got.msg.Body)
	}
	if err := r.w.Run(context.Background(), HandlerFunc(echo)); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Run: %v, want ErrClosed", err)
	}
}

// Cancelling Run's context drains too; a handler that outlives the drain
// timeout has its context cancelled and Run reports ErrDrainTimeout.
func TestDrainTimeout(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	started := make(chan struct{})
	r := startWorker(t, b.ep, "svc", HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	}), WithDrainTimeout(50*time.Millisecond))
	ready := b.wait(1, "XREADY", isKind(mdp.WorkerReady))
	b.send(ready.id, xrequest("c", uuid.New(), 0))
	mdptest.Receive(t, started, "a handler to start")
	r.cancel()
	if err := r.wait(t); !errors.Is(err, ErrDrainTimeout) {
		t.Fatalf("Run: %v, want ErrDrainTimeout", err)
	}
	b.wait(1, "XDRAIN", isKind(mdp.WorkerDrain))
	b.wait(1, "DISCONNECT", isKind(mdp.WorkerDisconnect))
}

// Shutdown's context bounds the drain.
func TestShutdownDeadline(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	started := make(chan struct{})
	r := startWorker(t, b.ep, "svc", HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	}))
	ready := b.wait(1, "XREADY", isKind(mdp.WorkerReady))
	b.send(ready.id, xrequest("c", uuid.New(), 0))
	mdptest.Receive(t, started, "a handler to start")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := r.w.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v, want DeadlineExceeded", err)
	}
	if err := r.wait(t); !errors.Is(err, ErrDrainTimeout) {
		t.Fatalf("Run: %v, want ErrDrainTimeout", err)
	}
}

// Shutdown before Run makes Run return ErrClosed.
func TestShutdownBeforeRun(t *testing.T) {
	w, err := New([]string{"tcp://127.0.0.1:1"}, "svc")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := w.Run(context.Background(), HandlerFunc(echo)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Run after Shutdown: %v, want ErrClosed", err)
	}
}

// Under plain MDP/0.2 there is no drain command: Shutdown lets the request
// in flight finish, then sends its FINAL and DISCONNECT, in that order.
func TestGracefulShutdownPlain(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	started := make(chan struct{})
	release := make(chan struct{})
	r := startWorker(t, b.ep, "svc", HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		close(started)
		awaitRelease(ctx, release)
		return [][]byte{[]byte("finished")}, ctx.Err()
	}), WithProtocol(ProtocolV02))
	ready := b.wait(1, "READY", isKind(mdp.WorkerReady))
	b.send(ready.id, mdp.Message{Version: mdp.V02, Kind: mdp.WorkerRequest, Address: []byte("c"), Body: [][]byte{[]byte("x")}})
	mdptest.Receive(t, started, "the handler to start")
	shut := make(chan error, 1)
	go func() { shut <- r.w.Shutdown(context.Background()) }()
	// Heartbeats still flow while the worker drains; DISCONNECT must wait.
	n := len(b.messages(fromID(ready.id, mdp.WorkerHeartbeat)))
	b.wait(n+3, "heartbeats while draining", fromID(ready.id, mdp.WorkerHeartbeat))
	if d := len(b.messages(isKind(mdp.WorkerDisconnect))); d != 0 {
		t.Fatal("DISCONNECT before the request in flight finished")
	}
	close(release)
	if err := mdptest.Receive(t, shut, "Shutdown to return"); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := r.wait(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	b.wait(1, "DISCONNECT", isKind(mdp.WorkerDisconnect))
	var order []mdp.Kind
	for _, m := range b.messages(func(m brokerMsg) bool { return m.msg.Kind != mdp.WorkerHeartbeat }) {
		order = append(order, m.msg.Kind)
		if m.msg.Ext {
			t.Fatalf("extension message %v to a plain broker", m.msg.Kind)
		}
	}
	if want := []mdp.Kind{mdp.WorkerReady, mdp.WorkerFinal, mdp.WorkerDisconnect}; fmt.Sprint(order) != fmt.Sprint(want) {
		t.Fatalf("messages %v, want %v", order, want)
	}
}
