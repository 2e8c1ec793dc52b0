package tests

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"

	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
)

// outcome is what a pairing of the SDKs' protocols does through a broker.
type outcome int

const (
	// answered: a request is answered; where both sides stream (0.2 or the
	// extension) the PARTIALs arrive in order before the FINAL; where both
	// speak the extension an error reply keeps its status code.
	answered outcome = iota
	// clientDropped: the broker drops the client's request (a header it
	// does not speak) and sends nothing back: the client's request fails
	// with clients.ErrTimeout after its timeout (the worker, a 0.1 one,
	// is registered all the same).
	clientDropped
	// workerDropped: the broker drops the worker's READY (a header it does
	// not speak), so the service has no worker (mmi.service says 404) and
	// a plain MDP/0.1 request waits in the broker's queue: the client's
	// request fails with clients.ErrTimeout.
	workerDropped
)

func (o outcome) String() string {
	return [...]string{"answered", "client's request dropped", "worker's READY dropped"}[o]
}

// pairing is one row of the table: a client protocol, a worker protocol,
// and what they do through our broker and through the zguide's Go broker
// (MDP/0.1 only).
type pairing struct {
	c      clients.Protocol
	w      workers.Protocol
	ours   outcome
	zguide outcome
}

var pairings = []pairing{
	{clients.ProtocolV01, workers.ProtocolV01, answered, answered},
	{clients.ProtocolV01, workers.ProtocolV02, answered, workerDropped},
	{clients.ProtocolV01, workers.ProtocolExtension, answered, workerDropped},
	{clients.ProtocolV02, workers.ProtocolV01, answered, clientDropped},
	{clients.ProtocolV02, workers.ProtocolV02, answered, clientDropped},
	{clients.ProtocolV02, workers.ProtocolExtension, answered, clientDropped},
	{clients.ProtocolExtension, workers.ProtocolV01, answered, clientDropped},
	{clients.ProtocolExtension, workers.ProtocolV02, answered, clientDropped},
	{clients.ProtocolExtension, workers.ProtocolExtension, answered, clientDropped},
}

// Every pairing of the SDKs' protocols (plain 0.1, plain 0.2, extension:
// the same names in both SDKs) works through our broker.
func TestSDKProtocolPairings(t *testing.T) {
	_, ep := startBroker(t, nil)
	runPairings(t, ep, func(p pairing) outcome { return p.ours }, nil)
}

// The same table through the zguide's Go broker, which speaks MDP/0.1
// only: plain 0.1 on both sides is answered; a 0.2 or extension client's
// request, and a 0.2 or extension worker's READY, are dropped by it, and
// the client's request then fails with ErrTimeout, not a hang.
func TestSDKProtocolPairingsZguideBroker(t *testing.T) {
	ep, _ := startZguideBroker(t, buildZguideBroker(t))
	// The example heartbeats idle workers every 2.5 s: the worker's
	// liveness is set well beyond that.
	slow := []workers.Option{workers.WithHeartbeat(zguideHeartbeat / 5), workers.WithLiveness(25)}
	runPairings(t, ep, func(p pairing) outcome { return p.zguide }, slow)
}

// dropTimeout is the client timeout in a pairing expected to fail: what
// the client waits for before it gives up (no retry).
const dropTimeout = 500 * time.Millisecond

func runPairings(t *testing.T, ep string, expect func(pairing) outcome, workerOpts []workers.Option) {
	for i, p := range pairings {
		want := expect(p)
		t.Run(fmt.Sprintf("client %v, worker %v: %v", p.c, p.w, want), func(t *testing.T) {
			t.Parallel() // a service each: the pairings do not meet in the broker
			service := fmt.Sprintf("pairing-%d", i)
			startWorker(t, ep, service, pairingHandler, append([]workers.Option{workers.WithProtocol(p.w)}, workerOpts...)...)
			ctx, cancel := context.WithTimeout(context.Background(), waitLong)
			defer cancel()
			if want != answered {
				c := newClient(t, []string{ep}, clients.WithProtocol(p.c), clients.WithTimeout(dropTimeout), clients.WithRetries(0))
				start := time.Now()
				reply, err := c.Request(ctx, service, []byte("ping"))
				if !errors.Is(err, clients.ErrTimeout) || time.Since(start) < dropTimeout {
					t.Fatalf("request: %q, %v after %v; want ErrTimeout after %v", reply, err, time.Since(start), dropTimeout)
				}
				mmi := mdptest.Dial(t, ep, zmq.REQ)
				if want == workerDropped && mmiService(t, mmi, service) != "404" {
					t.Fatal("the worker whose READY the broker drops is registered")
				}
				if want == clientDropped && p.w == workers.ProtocolV01 {
					mdptest.WaitFor(t, "the worker registered all the same", func() bool { return mmiService(t, mmi, service) == "200" })
				}
				return
			}
			c := newClient(t, []string{ep}, clients.WithProtocol(p.c))
			reply, err := c.Request(ctx, service, []byte("ping"))
			if err != nil || len(reply) != 1 || string(reply[0]) != "ping" {
				t.Fatalf("request: %q, %v", reply, err)
			}
			if p.c != clients.ProtocolV01 && p.w != workers.ProtocolV01 {
				s := c.Stream(ctx, service, []byte("stream"))
				var got []string
				for s.Next() {
					got = append(got, fmt.Sprintf("%s/%v", s.Body()[0], s.Final()))
				}
				s.Close()
				if err := s.Err(); err != nil || fmt.Sprint(got) != "[one/false two/false stream/true]" {
					t.Fatalf("stream: %v, %v", got, err)
				}
			}
			if p.c == clients.ProtocolExtension && p.w == workers.ProtocolExtension {
				_, err := c.Request(ctx, service, []byte("fail"))
				var se *clients.ServiceError
				if !errors.As(err, &se) || se.Status != mdp.StatusNotFound || se.Text != "nothing here" {
					t.Fatalf("error reply: %v, want 404 nothing here", err)
				}
			}
			if got := mmiService(t, mdptest.Dial(t, ep, zmq.REQ), service); got != "200" {
				t.Fatalf("mmi.service says %s for the serving worker's service", got)
			}
		})
	}
}

// pairingHandler echoes, streams two PARTIALs first for "stream", and
// fails with 404 for "fail".
func pairingHandler(ctx context.Context, req *workers.Request) ([][]byte, error) {
	switch string(req.Body[0]) {
	case "fail":
		return nil, workers.Errorf(mdp.StatusNotFound, "nothing here")
	case "stream":
		for _, part := range []string{"one", "two"} {
			if err := req.Partial([]byte(part)); err != nil {
				return nil, err
			}
		}
	}
	return req.Body, nil
}

// mmiService asks the broker through c, a REQ socket, as a zguide MDP/0.1
// client does, whether service has a worker ("200") or not ("404").
func mmiService(t *testing.T, c *mdptest.Peer, service string) string {
	t.Helper()
	c.SendFrames([]byte(mdp.HeaderClient01), []byte(mdp.MMIService), []byte(service))
	reply := c.RecvFrames()
	if len(reply) != 3 || string(reply[0]) != mdp.HeaderClient01 || string(reply[1]) != mdp.MMIService {
		t.Fatalf("mmi.service reply %q", reply)
	}
	return string(reply[2])
}
