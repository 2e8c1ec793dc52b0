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
	r := startWorker(t, b.Endpoint, "svc", HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		close(started)
		awaitRelease(ctx, release)
		return [][]byte{[]byte("finished")}, ctx.Err()
	}))
	ready := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	id := uuid.New()
	b.Send(ready.From, xrequest("c", id, 0))
	mdptest.Receive(t, started, "a handler to start")
	shut := make(chan error, 1)
	go func() { shut <- r.w.Shutdown(context.Background()) }()
	b.Wait(1, "XDRAIN", mdptest.IsKind(mdp.WorkerDrain))
	if n := len(b.Messages(mdptest.IsKind(mdp.WorkerDisconnect))); n != 0 {
		t.Fatal("DISCONNECT before the request in flight finished")
	}
	close(release)
	if err := mdptest.Receive(t, shut, "Shutdown to return"); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := r.wait(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	b.Wait(1, "DISCONNECT", mdptest.IsKind(mdp.WorkerDisconnect))
	var order []mdp.Kind
	for _, m := range b.Messages(func(m mdptest.Logged) bool { return m.Msg.Kind != mdp.WorkerHeartbeat }) {
		order = append(order, m.Msg.Kind)
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
	if got := b.Wait(1, "FINAL", finalFor(id)); !bodyIs(got.Msg.Body, "finished") {
		t.Fatalf("FINAL %q", got.Msg.Body)
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
	r := startWorker(t, b.Endpoint, "svc", HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	}), WithDrainTimeout(50*time.Millisecond))
	ready := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	b.Send(ready.From, xrequest("c", uuid.New(), 0))
	mdptest.Receive(t, started, "a handler to start")
	r.cancel()
	if err := r.wait(t); !errors.Is(err, ErrDrainTimeout) {
		t.Fatalf("Run: %v, want ErrDrainTimeout", err)
	}
	b.Wait(1, "XDRAIN", mdptest.IsKind(mdp.WorkerDrain))
	b.Wait(1, "DISCONNECT", mdptest.IsKind(mdp.WorkerDisconnect))
}

// Shutdown's context bounds the drain.
func TestShutdownDeadline(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	started := make(chan struct{})
	r := startWorker(t, b.Endpoint, "svc", HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	}))
	ready := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	b.Send(ready.From, xrequest("c", uuid.New(), 0))
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
	r := startWorker(t, b.Endpoint, "svc", HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		close(started)
		awaitRelease(ctx, release)
		return [][]byte{[]byte("finished")}, ctx.Err()
	}), WithProtocol(ProtocolV02))
	ready := b.Wait(1, "READY", mdptest.IsKind(mdp.WorkerReady))
	b.Send(ready.From, mdp.Message{Version: mdp.V02, Kind: mdp.WorkerRequest, Address: []byte("c"), Body: [][]byte{[]byte("x")}})
	mdptest.Receive(t, started, "the handler to start")
	shut := make(chan error, 1)
	go func() { shut <- r.w.Shutdown(context.Background()) }()
	// Heartbeats still flow while the worker drains; DISCONNECT must wait.
	n := len(b.Messages(mdptest.FromID(ready.From, mdp.WorkerHeartbeat)))
	b.Wait(n+3, "heartbeats while draining", mdptest.FromID(ready.From, mdp.WorkerHeartbeat))
	if d := len(b.Messages(mdptest.IsKind(mdp.WorkerDisconnect))); d != 0 {
		t.Fatal("DISCONNECT before the request in flight finished")
	}
	close(release)
	if err := mdptest.Receive(t, shut, "Shutdown to return"); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := r.wait(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	b.Wait(1, "DISCONNECT", mdptest.IsKind(mdp.WorkerDisconnect))
	var order []mdp.Kind
	for _, m := range b.Messages(func(m mdptest.Logged) bool { return m.Msg.Kind != mdp.WorkerHeartbeat }) {
		order = append(order, m.Msg.Kind)
		if m.Msg.Ext {
			t.Fatalf("extension message %v to a plain broker", m.Msg.Kind)
		}
	}
	if want := []mdp.Kind{mdp.WorkerReady, mdp.WorkerFinal, mdp.WorkerDisconnect}; fmt.Sprint(order) != fmt.Sprint(want) {
		t.Fatalf("messages %v, want %v", order, want)
	}
}
