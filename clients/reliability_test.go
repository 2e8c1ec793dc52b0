package clients

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/goleak"

	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
)

// The broker dies with the request in it, queued or held by a worker, and
// comes back on the same endpoint: the client's retries reach the new
// broker with the request's UUID, and it completes within its deadline.
func TestBrokerRestartMidRequest(t *testing.T) {
	for _, where := range []string{"queued", "at a worker"} {
		t.Run(where, func(t *testing.T) {
			forEachBroker(t, func(t *testing.T, start startBrokerFunc) {
				testBrokerRestartMidRequest(t, start, where == "at a worker")
			})
		})
	}
}

func testBrokerRestartMidRequest(t *testing.T, start startBrokerFunc, atWorker bool) {
	b1 := start(t, "")
	ep := b1.Endpoint()
	var mu sync.Mutex
	var seen []uuid.UUID // the request's UUID at every delivery to a worker
	entered, unblock := make(chan struct{}), make(chan struct{})
	handle := func(m *mdp.Message) action {
		mu.Lock()
		seen = append(seen, m.UUID)
		first := len(seen) == 1
		mu.Unlock()
		if first && atWorker {
			close(entered)
			<-unblock // the broker dies meanwhile
		}
		return action{final: m.Body}
	}
	release := sync.OnceFunc(func() { close(unblock) })
	if atWorker {
		startWorkerHeartbeat(t, ep, "echo", 2*time.Second, handle)
		t.Cleanup(release) // before the worker's Stop, should the test fail early
	}
	c := newClient(t, []string{ep}, WithTimeout(100*time.Millisecond), WithRetries(1000), WithBackoff(5*time.Millisecond, 50*time.Millisecond))
	const within = 20 * time.Second
	begin := time.Now()
	call := c.Go(testContext(t, within), "echo", []byte("survives"))
	if atWorker {
		select {
		case <-entered:
		case <-time.After(within):
			t.Fatal("the worker never got the request")
		}
	} else {
		mdptest.WaitFor(t, "the request at the first broker", func() bool { return b1.Requests() >= 1 })
	}
	b1.Stop()
	if atWorker {
		release() // its answer goes nowhere: that broker is gone
	}

	b2 := start(t, ep)
	startWorker(t, ep, "echo", handle)
	reply, err := call.Wait()
	if err != nil || !equalFrames(reply, frames("survives")) {
		t.Fatalf("reply %q, %v", reply, err)
	}
	if took := time.Since(begin); took > within {
		t.Fatalf("completed after %v, past its deadline", took)
	}
	if s := c.Stats(); s.Retries == 0 || s.Replies != 1 || s.Requests != 1 {
		t.Fatalf("stats %+v: want retries of one request", s)
	}
	if b2.Requests() < 1 {
		t.Fatal("the second broker saw no request")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) == 0 || atWorker && len(seen) < 2 {
		t.Fatalf("%d deliveries to a worker", len(seen))
	}
	for _, id := range seen {
		if id != seen[0] {
			t.Fatalf("deliveries carried UUIDs %v: want one", seen)
		}
	}
}

// Two brokers, each with a worker that names its broker. When one stops,
// requests fail over to the other; when that one stops and the first is
// back, they go back.
func TestFailoverAndBack(t *testing.T) {
	forEachBroker(t, func(t *testing.T, start startBrokerFunc) {
		a := start(t, "")
		b := start(t, "")
		named := func(name string) func(*mdp.Message) action {
			return func(*mdp.Message) action { return action{final: frames(name)} }
		}
		startWorker(t, a.Endpoint(), "who", named("A"))
		wb := startWorker(t, b.Endpoint(), "who", named("B"))
		c := newClient(t, []string{a.Endpoint(), b.Endpoint()}, WithTimeout(time.Second), WithRetries(20), WithBackoff(time.Millisecond, 10*time.Millisecond))
		who := func() string {
			t.Helper()
			reply, err := c.Request(testContext(t, 20*time.Second), "who")
			if err != nil {
				t.Fatal(err)
			}
			return string(reply[0])
		}
		if got := who(); got != "A" {
			t.Fatalf("first request served by %s, want A", got)
		}
		a.Stop()
		if got := who(); got != "B" {
			t.Fatalf("after A stopped: served by %s, want B", got)
		}
		retries := c.Stats().Retries
		if got := who(); got != "B" {
			t.Fatalf("B is now current: served by %s, want B", got)
		}
		if r := c.Stats().Retries; r != retries {
			t.Fatalf("%d retries: the request after the failover did not go straight to B", r-retries)
		}
		start(t, a.Endpoint())
		startWorker(t, a.Endpoint(), "who", named("A"))
		wb.Stop()
		b.Stop()
		if got := who(); got != "A" {
			t.Fatalf("after B stopped and A came back: served by %s, want A", got)
		}
		if s := c.Stats(); s.Retries < 2 || s.Replies != 4 {
			t.Fatalf("stats %+v", s)
		}
	})
}

// counterStore is a write service's state: a counter, and the replies it
// gave by request UUID so that a duplicate is answered, not applied again.
type counterStore struct {
	mu      sync.Mutex
	count   int
	seen    map[uuid.UUID][]byte
	dropped int
}

// Workers that drop replies (and leave, as if they crashed after the work)
// force retries; the write counter still counts every logical request once.
func TestDroppedRepliesCountedOnce(t *testing.T) {
	forEachBroker(t, testDroppedRepliesCountedOnce)
}

func testDroppedRepliesCountedOnce(t *testing.T, start startBrokerFunc) {
	b := start(t, "")
	c := newClient(t, []string{b.Endpoint()}, WithTimeout(50*time.Millisecond), WithRetries(200), WithBackoff(time.Millisecond, 5*time.Millisecond))
	store := &counterStore{seen: map[uuid.UUID][]byte{}}
	handle := func(m *mdp.Message) action {
		if m.Flags&mdp.FlagClientUUID == 0 {
			t.Errorf("request without the client's UUID")
		}
		store.mu.Lock()
		defer store.mu.Unlock()
		if reply, ok := store.seen[m.UUID]; ok {
			return action{final: [][]byte{reply}}
		}
		store.count++
		reply := []byte(strconv.Itoa(store.count))
		store.seen[m.UUID] = reply
		if store.count%2 == 1 {
			store.dropped++
			return action{drop: true}
		}
		return action{final: [][]byte{reply}}
	}
	// A worker that dropped a reply leaves only once the client has retried,
	// so that the retries are certain.
	waitRetry := func() {
		r0 := c.Stats().Retries
		if !mdptest.Eventually(10*time.Second, func() bool { return c.Stats().Retries != r0 }) {
			t.Error("the client never retried")
		}
	}
	for range 2 {
		w := startWorker(t, b.Endpoint(), "counter.write", handle)
		w.beforeLeave = waitRetry
	}

	const writers, each = 4, 10
	var wg sync.WaitGroup
	var replies sync.Map
	errs := make(chan error, writers*each)
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				reply, err := c.Write(testContext(t, 30*time.Second), "counter", []byte(fmt.Sprint(g, i)))
				if err != nil {
					errs <- err
					return
				}
				if _, dup := replies.LoadOrStore(string(reply[0]), true); dup {
					errs <- fmt.Errorf("two writes got sequence %s", reply[0])
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	store.mu.Lock()
	defer store.mu.Unlock()
	if store.count != writers*each {
		t.Fatalf("counter = %d after %d writes", store.count, writers*each)
	}
	s := c.Stats()
	if store.dropped == 0 || s.Retries == 0 {
		t.Fatalf("dropped %d, stats %+v: the test forced no retries", store.dropped, s)
	}
	if s.Requests != writers*each || s.Replies != writers*each {
		t.Fatalf("stats %+v", s)
	}
}

func TestThousandGoroutinesShareOneClient(t *testing.T) {
	forEachBroker(t, testThousandGoroutines)
}

func testThousandGoroutines(t *testing.T, start startBrokerFunc) {
	b := start(t, "")
	for range 4 {
		startWorker(t, b.Endpoint(), "echo", echo)
	}
	c := newClient(t, []string{b.Endpoint()}, WithTimeout(10*time.Second))
	const n = 1000
	var wg sync.WaitGroup
	var bad atomic.Int64
	ctx := testContext(t, 60*time.Second)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := strconv.Itoa(i)
			reply, err := c.Request(ctx, "echo", []byte(want))
			if err != nil || len(reply) != 1 || string(reply[0]) != want {
				t.Errorf("request %d: %q, %v", i, reply, err)
				bad.Add(1)
			}
		}()
	}
	wg.Wait()
	if s := c.Stats(); bad.Load() != 0 || s.Replies != n || s.Pending != 0 {
		t.Fatalf("%d bad; stats %+v", bad.Load(), s)
	}
}

// Cancelling the context ends every request at once and releases it.
func TestCancelReleasesEverything(t *testing.T) {
	forEachBroker(t, testCancelReleasesEverything)
}

func testCancelReleasesEverything(t *testing.T, start startBrokerFunc) {
	b := start(t, "")
	c := newClient(t, []string{b.Endpoint()}, WithTimeout(time.Hour))
	if ok, err := c.ServiceExists(testContext(t, 10*time.Second), "nobody"); ok || err != nil {
		t.Fatalf("warm-up: %v, %v", ok, err)
	}
	running := goleak.IgnoreCurrent() // the broker's and the Client's goroutines
	ctx, cancel := context.WithCancel(context.Background())
	const n = 100
	calls := make([]*Call, n)
	for i := range calls {
		calls[i] = c.Go(ctx, "nobody")
	}
	streams := []*Stream{c.Stream(ctx, "nobody"), c.Stream(context.Background(), "nobody")}
	mdptest.WaitFor(t, "every request pending", func() bool { return c.Stats().Pending == n+2 })
	cancel()
	streams[1].Close()
	for i, call := range calls {
		select {
		case <-call.Done:
		case <-time.After(10 * time.Second):
			t.Fatalf("call %d still running after cancel", i)
		}
		if !errors.Is(call.Err, context.Canceled) {
			t.Fatalf("call %d: %v", i, call.Err)
		}
	}
	for _, s := range streams {
		if s.Next() || !errors.Is(s.Err(), context.Canceled) {
			t.Fatalf("stream: %v", s.Err())
		}
	}
	if s := c.Stats(); s.Pending != 0 || s.Cancelled != n+2 {
		t.Fatalf("stats %+v", s)
	}
	goleak.VerifyNone(t, running) // nothing left behind by the calls
	// Already cancelled: fails without reaching the broker.
	mdptest.WaitFor(t, "every request at the broker", func() bool { return b.Requests() == n+3 })
	if _, err := c.Request(ctx, "echo"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if c.Stats().Attempts != n+3 || b.Requests() != n+3 {
		t.Fatal("a cancelled request was sent")
	}
}

// Duplicate replies (the fake broker sends every FINAL twice) and late ones
// (the real broker's, for a request that timed out) are dropped and
// counted; they never become the answer to anything else.
func TestStaleRepliesDroppedAndCounted(t *testing.T) {
	t.Run("duplicate", func(t *testing.T) {
		b := startFakeBroker(t, "", true) // every FINAL twice
		startWorker(t, b.Endpoint(), "echo", echo)
		c := newClient(t, []string{b.Endpoint()})
		const n = 5
		for i := range n {
			reply, err := c.Request(testContext(t, 10*time.Second), "echo", []byte{byte(i)})
			if err != nil || reply[0][0] != byte(i) {
				t.Fatalf("request %d: %q, %v", i, reply, err)
			}
		}
		mdptest.WaitFor(t, "five stale replies", func() bool { return c.Stats().Stale == n })
		if s := c.Stats(); s.Replies != n {
			t.Fatalf("stats %+v", s)
		}
	})
	t.Run("late", func(t *testing.T) {
		b := startRealBroker(t, "")
		c := newClient(t, []string{b.Endpoint()}, WithTimeout(100*time.Millisecond), WithRetries(0))
		startWorkerHeartbeat(t, b.Endpoint(), "slow", 2*time.Second, func(m *mdp.Message) action {
			if string(m.Body[0]) == "late" { // answer once the client has given up
				if !mdptest.Eventually(20*time.Second, func() bool { return c.Stats().Timeouts == 1 }) {
					t.Error("the client never gave up")
				}
			}
			return action{final: m.Body}
		})
		waitForService(t, c, "slow")
		if _, err := c.Request(testContext(t, 20*time.Second), "slow", []byte("late")); !errors.Is(err, ErrTimeout) {
			t.Fatalf("err = %v, want ErrTimeout", err)
		}
		// The next request on the socket gets its own reply, not the late one.
		c2 := c.Go(testContext(t, 20*time.Second), "slow", []byte("next"))
		mdptest.WaitFor(t, "the late reply dropped", func() bool { return c.Stats().Stale == 1 })
		if reply, err := c2.Wait(); err != nil && !errors.Is(err, ErrTimeout) || err == nil && !equalFrames(reply, frames("next")) {
			t.Fatalf("next: %q, %v", reply, err)
		}
	})
}

func TestCloseFailsPendingAndLaterCalls(t *testing.T) {
	forEachBroker(t, testCloseFailsPendingAndLaterCalls)
}

func testCloseFailsPendingAndLaterCalls(t *testing.T, start startBrokerFunc) {
	b := start(t, "")
	c, err := New([]string{b.Endpoint()})
	if err != nil {
		t.Fatal(err)
	}
	call := c.Go(context.Background(), "nobody")
	stream := c.Stream(context.Background(), "nobody")
	mdptest.WaitFor(t, "the calls at the broker", func() bool { return b.Requests() == 2 })
	c.Close()
	if _, err := call.Wait(); !errors.Is(err, ErrClosed) {
		t.Fatalf("pending call: %v", err)
	}
	if stream.Next() || !errors.Is(stream.Err(), ErrClosed) {
		t.Fatalf("pending stream: %v", stream.Err())
	}
	stream.Close()
	if _, err := c.Request(context.Background(), "echo"); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	c.Close()
	if s := c.Stats(); s.Closed != 2 || s.Pending != 0 {
		t.Fatalf("stats %+v", s)
	}
}
