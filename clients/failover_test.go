package clients

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
)

// bodyLog records the first body frame of every request a worker got.
type bodyLog struct {
	mu  sync.Mutex
	got []string
}

func (l *bodyLog) handle(m *mdp.Message) action {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, string(m.Body[0]))
	return action{final: m.Body}
}

func (l *bodyLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.got, " ")
}

// An attempt that went to a broker that was down, and timed out there, is
// not left queued in the client's socket: when that broker comes up later
// it never gets the request, which was answered elsewhere long ago (a write
// would otherwise be applied a second time by another worker).
func TestDeadBrokerGetsNoStaleAttempts(t *testing.T) {
	forEachBroker(t, func(t *testing.T, start startBrokerFunc) {
		epA := mdptest.UnusedEndpoint(t)
		b := start(t, "")
		var atB, atA bodyLog
		wb := startWorker(t, b.Endpoint(), "counter.write", atB.handle)
		c := newClient(t, []string{epA, b.Endpoint()}, WithTimeout(200*time.Millisecond), WithRetries(20),
			WithBackoff(time.Millisecond, 10*time.Millisecond))
		if _, err := c.Write(testContext(t, 20*time.Second), "counter", []byte("first")); err != nil {
			t.Fatal(err)
		}
		if got := atB.String(); got != "first" {
			t.Fatalf("B's worker got %q", got)
		}
		// A comes up with a worker of its own; B goes away. The next write
		// goes to B (current), times out, and fails over to A.
		a := start(t, epA)
		startWorker(t, epA, "counter.write", atA.handle)
		wb.Stop()
		b.Stop()
		if _, err := c.Write(testContext(t, 20*time.Second), "counter", []byte("second")); err != nil {
			t.Fatal(err)
		}
		if got := atA.String(); got != "second" {
			t.Fatalf("A's worker got %q: a stale attempt reached it", got)
		}
		if n := a.Requests(); n != 1 {
			t.Fatalf("A got %d requests, want 1", n)
		}
	})
}

// A request made before its broker is up waits, within its attempt, for
// the connection, and goes out once the broker is there: one attempt, no
// retry.
func TestRequestWaitsForBrokerToComeUp(t *testing.T) {
	forEachBroker(t, func(t *testing.T, start startBrokerFunc) {
		ep := mdptest.UnusedEndpoint(t)
		c := newClient(t, []string{ep}, WithTimeout(time.Minute), WithRetries(0))
		calls := make([]*Call, 50)
		for i := range calls {
			calls[i] = c.Go(testContext(t, time.Minute), "echo", []byte{byte(i)})
		}
		mdptest.WaitFor(t, "every request pending", func() bool { return c.Stats().Pending == int64(len(calls)) })
		start(t, ep)
		startWorker(t, ep, "echo", echo)
		for i, call := range calls {
			if reply, err := call.Wait(); err != nil || reply[0][0] != byte(i) {
				t.Fatalf("call %d: %q, %v", i, reply, err)
			}
		}
		if s := c.Stats(); s.Attempts != uint64(len(calls)) || s.Retries != 0 {
			t.Fatalf("stats %+v: want one attempt each", s)
		}
	})
}

// The connection to the broker breaks while a worker holds the request:
// the client's socket reconnects and the broker knows it under a new
// identity. The worker's answer, sent to the old identity, is lost or goes
// to the new one; either way the client's retry (same UUID, from the new
// identity) gets the reply, and the worker ran the request once.
func TestBrokerSeesNewIdentityAfterReconnect(t *testing.T) {
	for _, when := range []string{"answer before retry", "answer after retry"} {
		t.Run(when, func(t *testing.T) {
			forEachBroker(t, func(t *testing.T, start startBrokerFunc) {
				b := start(t, "")
				proxy := mdptest.StartProxy(t, b.Endpoint())
				entered, unblock := make(chan struct{}), make(chan struct{})
				var runs atomic.Int64
				startWorkerHeartbeat(t, b.Endpoint(), "slow", 2*time.Second, func(m *mdp.Message) action {
					if runs.Add(1) == 1 {
						close(entered)
						<-unblock
					}
					return action{final: m.Body}
				})
				release := sync.OnceFunc(func() { close(unblock) })
				t.Cleanup(release) // before the worker's Stop, should the test fail early
				c := newClient(t, []string{proxy.Endpoint()}, WithTimeout(300*time.Millisecond), WithRetries(50),
					WithBackoff(time.Millisecond, 10*time.Millisecond))
				call := c.Go(testContext(t, 30*time.Second), "slow", []byte("once"))
				select {
				case <-entered:
				case <-time.After(20 * time.Second):
					t.Fatal("the worker never got the request")
				}
				proxy.Reset()
				if when == "answer after retry" {
					// The retry reaches the broker through a new connection
					// while the worker still holds the request.
					mdptest.WaitFor(t, "a retry at the broker", func() bool {
						return proxy.Accepted() >= 2 && b.Requests() >= 2
					})
				}
				release()
				reply, err := call.Wait()
				if err != nil || !equalFrames(reply, frames("once")) {
					t.Fatalf("reply %q, %v", reply, err)
				}
				if n := runs.Load(); n != 1 {
					t.Fatalf("the worker ran the request %d times", n)
				}
				if s := c.Stats(); s.Retries == 0 || s.Replies != 1 {
					t.Fatalf("stats %+v: want a retry", s)
				}
			})
		})
	}
}

// A 503 from the broker of an earlier attempt, arriving while a later
// attempt runs at another broker, says nothing about the later one: it is
// dropped (counted as stale), the request is not moved back to the broker
// that refused, and the later attempt's answer ends it, even when no
// attempt is left for a retry.
func TestLate503FromEarlierBrokerIgnored(t *testing.T) {
	bHas, aRefused := make(chan struct{}), make(chan struct{})
	var aRequests atomic.Int64
	a := startScriptedBroker(t, true, func(c *mdptest.Call, id []byte, m *mdp.Message) {
		if aRequests.Add(1) > 1 {
			return
		}
		select { // the client has moved on to B
		case <-bHas:
		case <-time.After(20 * time.Second):
			t.Error("the request never reached B")
		}
		refusal := mdp.Message{Version: mdp.V02, Ext: true, Kind: mdp.ClientError, Service: m.Service, UUID: m.UUID,
			Status: mdp.StatusOverloaded, Text: "shutting down"}
		c.SendMessage(id, refusal)
		close(aRefused)
	})
	b := startRealBroker(t, "")
	c := newClient(t, []string{a.Endpoint, b.Endpoint()}, WithTimeout(300*time.Millisecond), WithRetries(1),
		WithBackoff(time.Millisecond, time.Millisecond))
	startWorkerHeartbeat(t, b.Endpoint(), "svc", 2*time.Second, func(m *mdp.Message) action {
		close(bHas)
		<-aRefused
		if !mdptest.Eventually(20*time.Second, func() bool { s := c.Stats(); return s.Stale+s.Rejected > 0 }) {
			t.Error("the client never saw A's 503")
		}
		return action{final: frames("from B")}
	})
	waitForService(t, newClient(t, []string{b.Endpoint()}), "svc")
	reply, err := c.Request(testContext(t, 30*time.Second), "svc")
	if err != nil || !equalFrames(reply, frames("from B")) {
		t.Fatalf("reply %q, %v", reply, err)
	}
	if n := aRequests.Load(); n != 1 {
		t.Fatalf("A got %d requests, want 1: the late 503 sent the request back to it", n)
	}
	if s := c.Stats(); s.Rejected != 0 || s.Stale != 1 {
		t.Fatalf("stats %+v: want the 503 dropped as stale", s)
	}
}
