package clients

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
)

// waitForService waits until the broker knows a worker for service.
func waitForService(t *testing.T, c *Client, service string) {
	t.Helper()
	mdptest.WaitFor(t, service+" registered", func() bool {
		ok, err := c.ServiceExists(testContext(t, 10*time.Second), service)
		return err == nil && ok
	})
}

// connect waits until c has a connection to its first broker: a request
// went there and was answered. A request made before that waits for the
// connection within its attempt, which a short attempt timeout may not
// leave time for.
func connect(t *testing.T, c *Client) {
	t.Helper()
	mdptest.WaitFor(t, "a connection to the broker", func() bool {
		_, err := c.ServiceExists(testContext(t, 20*time.Second), "connect")
		return err == nil
	})
}

// newClient makes a Client that the test's cleanup closes.
func newClient(t *testing.T, brokers []string, opts ...Option) *Client {
	t.Helper()
	c, err := New(brokers, append([]Option{WithLogger(zaptest.NewLogger(t))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func frames(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func equalFrames(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestRequestReply(t *testing.T) {
	forEachBroker(t, testRequestReply)
}

func testRequestReply(t *testing.T, start startBrokerFunc) {
	b := start(t, "")
	startWorker(t, b.Endpoint(), "echo", echo)
	c := newClient(t, []string{b.Endpoint()})
	ctx := testContext(t, 10*time.Second)

	reply, err := c.Request(ctx, "echo", []byte("hello"), []byte{}, []byte("world"))
	if err != nil {
		t.Fatal(err)
	}
	if want := frames("hello", "", "world"); !equalFrames(reply, want) {
		t.Fatalf("reply %q, want %q", reply, want)
	}
	call := c.Go(ctx, "echo", []byte("async"))
	<-call.Done
	if call.Err != nil || !equalFrames(call.Reply, frames("async")) {
		t.Fatalf("Go: %q, %v", call.Reply, call.Err)
	}
	// Many calls in flight at once from one goroutine.
	calls := make([]*Call, 200)
	for i := range calls {
		calls[i] = c.Go(ctx, "echo", []byte{byte(i)})
	}
	for i, call := range calls {
		if reply, err := call.Wait(); err != nil || reply[0][0] != byte(i) {
			t.Fatalf("call %d: %q, %v", i, reply, err)
		}
	}
	s := c.Stats()
	if s.Requests != 202 || s.Replies != 202 || s.Attempts != 202 || s.Retries != 0 || s.Pending != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestReadWriteUseStoreServices(t *testing.T) {
	forEachBroker(t, testReadWriteUseStoreServices)
}

func testReadWriteUseStoreServices(t *testing.T, start startBrokerFunc) {
	b := start(t, "")
	tagged := func(tag string) func(*mdp.Message) action {
		return func(m *mdp.Message) action { return action{final: append(frames(tag), m.Body...)} }
	}
	startWorker(t, b.Endpoint(), "kv.read", tagged("read"))
	startWorker(t, b.Endpoint(), "kv.write", tagged("write"))
	c := newClient(t, []string{b.Endpoint()})
	ctx := testContext(t, 10*time.Second)
	if r, err := c.Read(ctx, "kv", []byte("k")); err != nil || !equalFrames(r, frames("read", "k")) {
		t.Fatalf("Read: %q, %v", r, err)
	}
	if r, err := c.Write(ctx, "kv", []byte("k"), []byte("v")); err != nil || !equalFrames(r, frames("write", "k", "v")) {
		t.Fatalf("Write: %q, %v", r, err)
	}
}

func TestStreamPartialsThenFinal(t *testing.T) {
	forEachBroker(t, testStreamPartialsThenFinal)
}

func testStreamPartialsThenFinal(t *testing.T, start startBrokerFunc) {
	b := start(t, "")
	startWorker(t, b.Endpoint(), "count", func(m *mdp.Message) action {
		return action{partials: [][][]byte{frames("1"), frames("2"), frames("3")}, final: frames("done")}
	})
	c := newClient(t, []string{b.Endpoint()})
	s := c.Stream(testContext(t, 10*time.Second), "count")
	defer s.Close()
	var got []string
	var finals []bool
	for s.Next() {
		got = append(got, string(bytes.Join(s.Body(), []byte(","))))
		finals = append(finals, s.Final())
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if want := "1 2 3 done"; strings.Join(got, " ") != want {
		t.Fatalf("stream gave %q, want %q", got, want)
	}
	if fmt.Sprint(finals) != "[false false false true]" {
		t.Fatalf("finals %v", finals)
	}
	if p := c.Stats().Partials; p != 3 {
		t.Fatalf("Partials = %d, want 3", p)
	}
	// Request on the same service returns the FINAL reply only.
	reply, err := c.Request(testContext(t, 10*time.Second), "count")
	if err != nil || !equalFrames(reply, frames("done")) {
		t.Fatalf("Request: %q, %v", reply, err)
	}
}

func TestStreamError(t *testing.T) {
	b := startFakeBroker(t, "", false)
	c := newClient(t, []string{b.Endpoint()})
	s := c.Stream(testContext(t, 10*time.Second), "xerror.503")
	defer s.Close()
	if s.Next() {
		t.Fatalf("Next gave %q for an error reply", s.Body())
	}
	if !errors.Is(s.Err(), ErrOverloaded) {
		t.Fatalf("Err = %v, want 503", s.Err())
	}
}

func TestServiceErrors(t *testing.T) {
	b := startFakeBroker(t, "", false)
	startWorker(t, b.Endpoint(), "fails", func(m *mdp.Message) action { return action{status: mdp.StatusInternal} })
	startWorker(t, b.Endpoint(), "refuses", func(m *mdp.Message) action { return action{status: 429} })
	c := newClient(t, []string{b.Endpoint()}, WithFailFast(), WithTimeout(5*time.Second))
	waitForService(t, c, "fails")
	waitForService(t, c, "refuses")
	cases := []struct {
		service string
		target  error
		status  mdp.Status
	}{
		{"xerror.503", ErrOverloaded, 503},
		{"xerror.504", ErrExpired, 504},
		{"xerror.502", ErrWorkerFailed, 502},
		{"xerror.413", ErrTooLarge, 413},
		{"fails", ErrInternal, 500},
		{"refuses", &ServiceError{Status: 429}, 429},
		{"no.such.service", ErrNoSuchService, 404},
	}
	for _, tc := range cases {
		t.Run(tc.service, func(t *testing.T) {
			before := c.Stats().Attempts
			start := time.Now()
			_, err := c.Request(testContext(t, 10*time.Second), tc.service)
			if !errors.Is(err, tc.target) {
				t.Fatalf("err = %v, want %v", err, tc.target)
			}
			var se *ServiceError
			if !errors.As(err, &se) || se.Status != tc.status || se.Service != tc.service {
				t.Fatalf("errors.As gave %+v", se)
			}
			if errors.Is(err, ErrTimeout) != (tc.status == 504) || errors.Is(err, ErrOverloaded) != (tc.status == 503) {
				t.Fatalf("%v matches the wrong targets", err)
			}
			// 503 (not taken) is retried on the next broker, 3 attempts in
			// all; any other error reply is final.
			want := uint64(1)
			if tc.status == 503 {
				want = 3
			}
			if n := c.Stats().Attempts - before; n != want {
				t.Fatalf("%d attempts, want %d", n, want)
			}
			if d := time.Since(start); d > 4*time.Second {
				t.Fatalf("took %v: the error did not come at once", d)
			}
		})
	}
	var se *ServiceError
	_, err := c.Request(testContext(t, 10*time.Second), "fails")
	if !errors.As(err, &se) || se.Text != "handler says no" || !se.Temporary() {
		t.Fatalf("worker error: %#v", se)
	}
	if r := c.Stats().Rejected; r != 2 {
		t.Fatalf("Rejected = %d, want the two retried 503s", r)
	}
}

func TestAllAttemptsTimeOut(t *testing.T) {
	forEachBroker(t, testAllAttemptsTimeOut)
}

func testAllAttemptsTimeOut(t *testing.T, start startBrokerFunc) {
	b := start(t, "")
	c := newClient(t, []string{b.Endpoint()}, WithTimeout(20*time.Millisecond), WithRetries(2), WithBackoff(time.Millisecond, 2*time.Millisecond))
	connect(t, c)
	before := c.Stats()
	_, err := c.Request(context.Background(), "nobody")
	// The broker gets the time the attempts leave the request; it may say
	// 504 just before the client's last attempt times out. Both are
	// ErrTimeout.
	if !errors.Is(err, ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrTimeout only", err)
	}
	expired := 0
	if errors.Is(err, ErrExpired) {
		expired = 1
	}
	s := c.Stats()
	if s.Attempts-before.Attempts != 3 || s.Retries-before.Retries != 2 || int(s.Timeouts-before.Timeouts)+expired != 1 || s.Pending != 0 {
		t.Fatalf("stats %+v, before %+v", s, before)
	}
	mdptest.WaitFor(t, "three requests at the broker", func() bool { return b.Work() == 3 })
}

// The ctx deadline bounds the whole request, however long the attempt
// timeout: it ends the request at the deadline, not later.
func TestContextDeadlineEndsRequest(t *testing.T) {
	forEachBroker(t, testContextDeadlineEndsRequest)
}

func testContextDeadlineEndsRequest(t *testing.T, start startBrokerFunc) {
	b := start(t, "")
	c := newClient(t, []string{b.Endpoint()}, WithTimeout(time.Hour))
	const deadline = 100 * time.Millisecond
	begin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	_, err := c.Request(ctx, "nobody")
	took := time.Since(begin)
	// The real broker may say 504 as the deadline passes: also a timeout.
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrExpired) {
		t.Fatalf("err = %v, want ErrTimeout and DeadlineExceeded", err)
	}
	if took < deadline-5*time.Millisecond || took > 5*time.Second {
		t.Fatalf("took %v for a %v deadline", took, deadline)
	}
	if s := c.Stats(); s.Attempts != 1 || s.Pending != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestInvalidInput(t *testing.T) {
	if _, err := New(nil); !errors.Is(err, ErrNoBrokers) {
		t.Fatalf("New(nil): %v", err)
	}
	if _, err := New([]string{"nonsense"}); err == nil {
		t.Fatal("New accepted a malformed endpoint")
	}
	if _, err := New([]string{"tcp://127.0.0.1:1"}, WithTimeout(0)); err == nil {
		t.Fatal("New accepted a zero timeout")
	}
	if _, err := New([]string{"tcp://127.0.0.1:1"}, WithProtocol(ProtocolV01), WithFailFast()); err == nil {
		t.Fatal("New accepted fail-fast in plain mode")
	}
	c := newClient(t, []string{"tcp://127.0.0.1:1"})
	if _, err := c.Request(context.Background(), ""); !errors.Is(err, mdp.ErrEmptyService) {
		t.Fatalf("empty service: %v", err)
	}
	if _, err := c.Request(context.Background(), "bad\nname"); !errors.Is(err, mdp.ErrBadService) {
		t.Fatalf("bad service: %v", err)
	}
}

func TestMMI(t *testing.T) {
	forEachBroker(t, testMMI)
}

func testMMI(t *testing.T, start startBrokerFunc) {
	b := start(t, "")
	startWorker(t, b.Endpoint(), "echo", echo)
	c := newClient(t, []string{b.Endpoint()})
	ctx := testContext(t, 10*time.Second)
	mdptest.WaitFor(t, "echo registered", func() bool {
		ok, err := c.ServiceExists(ctx, "echo")
		return err == nil && ok
	})
	if ok, err := c.ServiceExists(ctx, "absent"); ok || err != nil {
		t.Fatalf("ServiceExists(absent) = %v, %v", ok, err)
	}
	list, err := c.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Name != "echo" || list[0].Workers != 1 {
		t.Fatalf("Services = %+v", list)
	}
}

func TestParseServicesShapes(t *testing.T) {
	cases := map[string]string{
		`[{"name":"b","workers":2},{"name":"a","queued":3}]`: "a/0/3 b/2/0",
		`{"services":[{"name":"a","workers":1}]}`:            "a/1/0",
		`["a","b"]`:           "a/0/0 b/0/0",
		`{"a":{"workers":4}}`: "a/4/0",
	}
	for in, want := range cases {
		list, err := parseServices([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		var got []string
		for _, s := range sortedServices(list) {
			got = append(got, fmt.Sprintf("%s/%d/%d", s.Name, s.Workers, s.Queued))
		}
		if strings.Join(got, " ") != want {
			t.Fatalf("%s: got %v, want %s", in, got, want)
		}
	}
	for _, bad := range []string{``, `nope`, `[{"workers":1}]`, `[1]`} {
		if _, err := parseServices([]byte(bad)); err == nil {
			t.Fatalf("%q parsed", bad)
		}
	}
}

func sortedServices(list []ServiceInfo) []ServiceInfo {
	out := append([]ServiceInfo(nil), list...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j].Name < out[i].Name {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// The request's deadline travels to the broker: the time ctx leaves it, or
// without one, what the remaining attempts may take.
func TestDeadlineTravelsToBroker(t *testing.T) {
	b := startFakeBroker(t, "", false)
	c := newClient(t, []string{b.Endpoint()}, WithTimeout(300*time.Millisecond), WithRetries(2), WithBackoff(0, 0))
	connect(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.Go(ctx, "xerror.500").Wait()
	if d := b.lastTimeout(); d <= 4*time.Second || d > 5*time.Second {
		t.Fatalf("broker got timeout %v for a 5s deadline", d)
	}
	c.Go(context.Background(), "xerror.500").Wait()
	if d := b.lastTimeout(); d != 900*time.Millisecond {
		t.Fatalf("broker got timeout %v, want 3 attempts × 300ms", d)
	}
	c.Go(context.Background(), "nobody").Wait()
	mdptest.WaitFor(t, "all five requests at the broker", func() bool { return b.Work() == 5 })
	if d := b.lastTimeout(); d != 300*time.Millisecond {
		t.Fatalf("last attempt carried %v, want 300ms", d)
	}
}

// The real broker's own error replies, and a worker's.
func TestRealBrokerErrors(t *testing.T) {
	b := startRealBroker(t, "", func(cfg *broker.Config) { cfg.QueueLimit, cfg.MaxAttempts = 1, 2 })
	startWorker(t, b.Endpoint(), "fails", func(*mdp.Message) action { return action{status: mdp.StatusInternal} })
	ctx := testContext(t, 20*time.Second)

	ff := newClient(t, []string{b.Endpoint()}, WithFailFast())
	waitForService(t, ff, "fails")
	if _, err := ff.Request(ctx, "no.such.service"); !errors.Is(err, ErrNoSuchService) {
		t.Fatalf("fail-fast: %v", err)
	}
	if _, err := ff.Request(ctx, "fails"); !errors.Is(err, ErrInternal) {
		t.Fatalf("handler error: %v", err)
	}

	c := newClient(t, []string{b.Endpoint()}, WithTimeout(10*time.Second), WithRetries(1), WithBackoff(time.Millisecond, time.Millisecond))
	queued := c.Go(ctx, "absent") // fills the queue of one
	defer func() {
		select {
		case <-queued.Done:
			t.Fatalf("the queued request ended: %v", queued.Err)
		default:
		}
	}()
	mdptest.WaitFor(t, "the first request queued", func() bool { return b.Requests() >= 3 })
	if _, err := c.Request(ctx, "absent"); !errors.Is(err, ErrOverloaded) {
		t.Fatalf("queue full: %v", err)
	}
	if s := c.Stats(); s.Rejected != 1 || s.Retries != 1 {
		t.Fatalf("stats %+v: want one 503 retried, then returned", s)
	}

	// A worker that dies with the request, every time: after MaxAttempts
	// deliveries the broker gives up with 502.
	var deliveries atomic.Int64
	startWorker(t, b.Endpoint(), "crashes", func(*mdp.Message) action {
		deliveries.Add(1)
		return action{drop: true}
	})
	if _, err := c.Request(ctx, "crashes"); !errors.Is(err, ErrWorkerFailed) {
		t.Fatalf("crashing worker: %v", err)
	}
	if n := deliveries.Load(); n != 2 {
		t.Fatalf("the worker got the request %d times, want MaxAttempts = 2", n)
	}
}
