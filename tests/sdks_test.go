package tests

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
)

// streamTenParts streams "part 0" to "part 9", then answers "done"; "fail"
// is refused with 400, and "echo" echoed.
func streamTenParts(ctx context.Context, req *workers.Request) ([][]byte, error) {
	switch string(req.Body[0]) {
	case "fail":
		return nil, workers.Errorf(mdp.StatusBadRequest, "refused")
	case "echo":
		return req.Body, nil
	}
	for i := range 10 {
		if err := req.Partial([]byte(fmt.Sprintf("part %d", i))); err != nil {
			return nil, err
		}
	}
	return [][]byte{[]byte("done")}, nil
}

// checkStreamAndError asks service for a stream ("part 0".."part 9", then
// the FINAL "done") and for a refusal (400 "refused").
func checkStreamAndError(t *testing.T, c *clients.Client, service string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	s := c.Stream(ctx, service, []byte("go"))
	defer s.Close()
	var got []string
	for s.Next() {
		prefix := ""
		if s.Final() {
			prefix = "final:"
		}
		got = append(got, prefix+string(s.Body()[0]))
	}
	if err := s.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	want := []string{"part 0", "part 1", "part 2", "part 3", "part 4", "part 5", "part 6", "part 7", "part 8", "part 9", "final:done"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("stream %q, want %q", got, want)
	}
	_, err := c.Request(ctx, service, []byte("fail"))
	var se *clients.ServiceError
	if !errors.As(err, &se) || se.Status != mdp.StatusBadRequest || se.Text != "refused" {
		t.Fatalf("error reply: %v, want status 400 refused", err)
	}
}

// The two SDKs together over the extension, through the mini broker: a
// client's stream sees the worker's PARTIALs in order, then the FINAL; a
// handler's typed error reaches the client as a *clients.ServiceError with
// its code; the worker sees the client's UUID marked as the client's.
func TestClientSDK(t *testing.T) {
	b := mdptest.StartMini(t, mdptest.MiniConfig{Heartbeat: testHeartbeat, Route: true})
	startWorker(t, b.Endpoint, "stream", func(ctx context.Context, req *workers.Request) ([][]byte, error) {
		if string(req.Body[0]) != "fail" && !req.ClientUUID {
			return nil, errors.New("the client's UUID was not marked as the client's")
		}
		return streamTenParts(ctx, req)
	})
	b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	checkStreamAndError(t, newClient(t, []string{b.Endpoint}), "stream")
}

// Through our broker, with the client SDK: streaming in order, typed error
// codes, and a plain MDP/0.1 client served by the extension worker.
func TestOurBrokerServes(t *testing.T) {
	b, ep := startBroker(t, nil)
	startWorker(t, ep, "stream", streamTenParts)
	mdptest.WaitFor(t, "the worker to register", func() bool { return b.Workers("stream") == 1 })
	checkStreamAndError(t, newClient(t, []string{ep}), "stream")

	plain := mdptest.Dial(t, ep, zmq.DEALER)
	plain.Send(mdp.Message{Version: mdp.V01, Kind: mdp.ClientRequest, Service: "stream", Body: [][]byte{[]byte("echo"), []byte("from 0.1")}})
	m := plain.Recv()
	if m.Kind != mdp.ClientFinal || m.Version != mdp.V01 || len(m.Body) != 2 || string(m.Body[0]) != "echo" || string(m.Body[1]) != "from 0.1" {
		t.Fatalf("MDP/0.1 client got %v %v %q", m.Version, m.Kind, m.Body)
	}
}

// Our broker stopped and restarted mid-request: the handler is still
// running when the broker goes, the client retries under the same UUID
// through the new broker, which re-delivers the request to the worker's
// new registration; the worker attaches it to the handler already running
// instead of starting it again, and the one reply reaches the client.
func TestOurBrokerRestartMidRequest(t *testing.T) {
	shortDrain := func(c *broker.Config) { c.DrainTimeout = 50 * time.Millisecond }
	rb, ep := startBroker(t, shortDrain)
	var calls atomic.Int32
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	startWorker(t, ep, "svc", func(ctx context.Context, req *workers.Request) ([][]byte, error) {
		calls.Add(1)
		started <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return req.Body, nil
	}, workers.WithReconnect(5*time.Millisecond, 50*time.Millisecond))
	mdptest.WaitFor(t, "the worker to register", func() bool { return rb.Workers("svc") == 1 })
	c := newClient(t, []string{ep}, clients.WithTimeout(300*time.Millisecond), clients.WithRetries(50),
		clients.WithBackoff(10*time.Millisecond, 100*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	call := c.Go(ctx, "svc", []byte("survives"))
	mdptest.Receive(t, started, "the handler to start")

	rb.Stop()
	rb2, _ := startBroker(t, func(c *broker.Config) { shortDrain(c); c.Endpoints = []string{ep} })
	mdptest.WaitFor(t, "the retry to reach the worker through the new broker", func() bool {
		return rb2.State().InFlight == 1
	})
	close(release)
	if reply, err := call.Wait(); err != nil || len(reply) != 1 || string(reply[0]) != "survives" {
		t.Fatalf("request across the restart: %q, %v", reply, err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("handler ran %d times, want once", n)
	}
	if c := rb2.State().Counters; c.WorkersRegistered != 1 || c.StaleReplies != 0 {
		t.Fatalf("new broker: registered %d, stale replies %d; want 1, 0", c.WorkersRegistered, c.StaleReplies)
	}
}
