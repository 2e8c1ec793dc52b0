package titanic

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"
	"go.uber.org/zap/zaptest"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
)

// fastBroker is a broker with millisecond heartbeats.
func fastBroker(t *testing.T) *brokertest.Broker {
	return brokertest.Start(t, func(c *broker.Config) { c.HeartbeatInterval = 50 * time.Millisecond })
}

// startTitanic runs a Server against b until the test ends, and waits for
// its three services to register.
func startTitanic(t *testing.T, b *brokertest.Broker, dir string, tune ...func(*Config)) *Server {
	t.Helper()
	s, _ := startTitanicCancel(t, b, dir, tune...)
	return s
}

// startTitanicCancel is startTitanic that also returns a function stopping
// the Server and waiting for its Run to return.
func startTitanicCancel(t *testing.T, b *brokertest.Broker, dir string, tune ...func(*Config)) (*Server, func()) {
	t.Helper()
	cfg := Config{Broker: b.Endpoint, Dir: dir, Heartbeat: 50 * time.Millisecond, AttemptTimeout: 2 * time.Second,
		BackoffMin: 10 * time.Millisecond, BackoffMax: 200 * time.Millisecond, ProbeInterval: 20 * time.Millisecond,
		Logger: zaptest.NewLogger(t)}
	for _, f := range tune {
		f(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("titanic.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("titanic Run: %v", err)
				}
			case <-time.After(brokertest.Timeout):
				t.Error("titanic Run did not return")
			}
		})
	}
	t.Cleanup(stop)
	for _, svc := range []string{mdp.TitanicRequest, mdp.TitanicReply, mdp.TitanicClose} {
		brokertest.WaitFor(t, svc+" registered", func() bool { return b.Workers(svc) == 1 })
	}
	return s, stop
}

// startWorker serves a service through b until the test ends.
func startWorker(t *testing.T, b *brokertest.Broker, service string, conc int, h workers.HandlerFunc, opts ...workers.Option) {
	t.Helper()
	opts = append([]workers.Option{workers.WithConcurrency(conc), workers.WithHeartbeat(50 * time.Millisecond)}, opts...)
	w, err := workers.New([]string{b.Endpoint}, service, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, h) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	brokertest.WaitFor(t, service+" registered", func() bool { return b.Workers(service) >= 1 })
}

// ticlient is a plain MDP/0.1 client as the zguide's ticlient is: a REQ
// socket, "MDPC01 · service · body…" out, "MDPC01 · service · reply…" back.
type ticlient struct {
	t    *testing.T
	sock *zmq.Socket
}

func newTiclient(t *testing.T, endpoint string) *ticlient {
	return &ticlient{t: t, sock: brokertest.Dial(t, endpoint, zmq.REQ)}
}

// call sends one request and returns the reply body (the status first).
func (c *ticlient) call(service string, body ...string) []string {
	c.t.Helper()
	msg := append([]string{mdp.HeaderClient01, service}, body...)
	if _, err := c.sock.SendMessage(msg); err != nil {
		c.t.Fatal(err)
	}
	poller := zmq.NewPoller()
	poller.Add(c.sock, zmq.POLLIN)
	polled, err := poller.Poll(brokertest.Timeout)
	if err != nil || len(polled) == 0 {
		c.t.Fatalf("%s: no reply within %v (%v)", service, brokertest.Timeout, err)
	}
	reply, err := c.sock.RecvMessage(0)
	if err != nil {
		c.t.Fatal(err)
	}
	if len(reply) < 3 || reply[0] != mdp.HeaderClient01 || reply[1] != service {
		c.t.Fatalf("%s: malformed reply %q", service, reply)
	}
	return reply[2:]
}

// submit calls titanic.request and returns the UUID.
func (c *ticlient) submit(service string, body ...string) string {
	c.t.Helper()
	r := c.call(mdp.TitanicRequest, append([]string{service}, body...)...)
	if len(r) != 2 || r[0] != "200" || len(r[1]) != 32 {
		c.t.Fatalf("titanic.request %s: %q, want 200 and a 32-hex-digit UUID", service, r)
	}
	return r[1]
}

// await polls titanic.reply until it answers something other than 300.
func (c *ticlient) await(id string) []string {
	c.t.Helper()
	deadline := time.Now().Add(brokertest.Timeout)
	for time.Now().Before(deadline) {
		r := c.call(mdp.TitanicReply, id)
		if r[0] != "300" {
			return r
		}
		time.Sleep(5 * time.Millisecond) // the poll interval of a TSP client, not a synchronisation
	}
	c.t.Fatalf("titanic.reply %s still 300 after %v", id, brokertest.Timeout)
	return nil
}

func echo(_ context.Context, r *workers.Request) ([][]byte, error) { return r.Body, nil }

func joined(r []string) string { return strings.Join(r, "|") }
