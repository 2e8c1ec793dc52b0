package workers

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
)

func streamTen(_ context.Context, req *Request) ([][]byte, error) {
	for i := range 10 {
		if err := req.Partial([]byte(fmt.Sprintf("part %d", i))); err != nil {
			return nil, err
		}
	}
	return [][]byte{[]byte("done")}, nil
}

// Extension: XPARTIALs carry the request UUID, in order, before XFINAL.
func TestStreamingExtension(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	startWorker(t, b.Endpoint, "stream", HandlerFunc(streamTen))
	ready := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	id := uuid.New()
	b.Send(ready.From, xrequest("c", id, 0, "go"))
	b.Wait(1, "XFINAL", finalFor(id))
	var parts []string
	for _, m := range b.Messages(func(m mdptest.Logged) bool { return m.Msg.UUID == id }) {
		switch m.Msg.Kind {
		case mdp.WorkerPartial:
			if !m.Msg.Ext || string(m.Msg.Address) != "c" {
				t.Fatalf("partial %+v", m.Msg)
			}
			parts = append(parts, string(m.Msg.Body[0]))
		case mdp.WorkerFinal:
			parts = append(parts, "final:"+string(m.Msg.Body[0]))
		}
	}
	want := []string{"part 0", "part 1", "part 2", "part 3", "part 4", "part 5", "part 6", "part 7", "part 8", "part 9", "final:done"}
	if fmt.Sprint(parts) != fmt.Sprint(want) {
		t.Fatalf("got %q, want %q", parts, want)
	}
}

// Plain MDP/0.2: PARTIALs reach a 0.2 client through a plain broker, in
// order, then the FINAL.
func TestStreamingToV02Client(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, true)
	startWorker(t, b.Endpoint, "stream", HandlerFunc(streamTen), WithProtocol(ProtocolV02))
	b.Wait(1, "READY", mdptest.IsKind(mdp.WorkerReady))
	c := newTestClient(t, b.Endpoint, mdp.V02)
	c.request("stream", "go")
	for i := range 10 {
		got := c.recv()
		if got.Kind != mdp.ClientPartial || !bodyIs(got.Body, fmt.Sprintf("part %d", i)) {
			t.Fatalf("message %d: %v %q", i, got.Kind, got.Body)
		}
	}
	if got := c.recv(); got.Kind != mdp.ClientFinal || !bodyIs(got.Body, "done") {
		t.Fatalf("final: %v %q", got.Kind, got.Body)
	}
}

// MDP/0.1 has no PARTIAL: Partial fails with ErrStreamingUnsupported, and
// the handler can still answer.
func TestStreamingUnsupportedOnV01(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, true)
	startWorker(t, b.Endpoint, "stream", HandlerFunc(func(_ context.Context, req *Request) ([][]byte, error) {
		err := req.Partial([]byte("nope"))
		if !errors.Is(err, ErrStreamingUnsupported) {
			return [][]byte{[]byte(fmt.Sprintf("unexpected %v", err))}, nil
		}
		return [][]byte{[]byte("partial refused")}, nil
	}), WithProtocol(ProtocolV01))
	b.Wait(1, "READY", mdptest.IsKind(mdp.WorkerReady))
	c := newTestClient(t, b.Endpoint, mdp.V01)
	c.request("stream", "go")
	if got := c.recv(); got.Kind != mdp.ClientFinal || !bodyIs(got.Body, "partial refused") {
		t.Fatalf("reply %v %q", got.Kind, got.Body)
	}
	if n := len(b.Messages(mdptest.IsKind(mdp.WorkerPartial))); n != 0 {
		t.Fatalf("%d partials reached the broker", n)
	}
}

// Partial after the handler returned fails with ErrReplied.
func TestPartialAfterReturn(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	kept := make(chan *Request, 1)
	startWorker(t, b.Endpoint, "svc", HandlerFunc(func(_ context.Context, req *Request) ([][]byte, error) {
		kept <- req
		return nil, nil
	}))
	ready := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	id := uuid.New()
	b.Send(ready.From, xrequest("c", id, 0))
	b.Wait(1, "XFINAL", finalFor(id))
	if err := mdptest.Receive(t, kept, "the request").Partial([]byte("late")); !errors.Is(err, ErrReplied) {
		t.Fatalf("late Partial: %v, want ErrReplied", err)
	}
}
