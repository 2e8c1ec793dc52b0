package workers

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
)

// A repeated client UUID is answered from the cache without running the
// handler; a broker-made UUID (no FlagClientUUID) is not de-duplicated.
func TestDedupAnsweredFromCache(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	var calls atomic.Int32
	startWorker(t, b.Endpoint, "svc", HandlerFunc(func(_ context.Context, req *Request) ([][]byte, error) {
		n := calls.Add(1)
		return [][]byte{[]byte("call"), {byte('0' + n)}}, nil
	}))
	ready := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	id := uuid.New()
	b.Send(ready.From, xrequest("first-address", id, mdp.FlagClientUUID, "x"))
	b.Wait(1, "first FINAL", finalFor(id))
	b.Send(ready.From, xrequest("retry-address", id, mdp.FlagClientUUID, "x"))
	retry := b.Wait(2, "second FINAL", finalFor(id))
	if string(retry.Msg.Address) != "retry-address" || !bodyIs(retry.Msg.Body, "call", "1") {
		t.Fatalf("retry answered %q to %q", retry.Msg.Body, retry.Msg.Address)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("handler ran %d times, want 1", n)
	}

	plain := uuid.New()
	b.Send(ready.From, xrequest("c", plain, 0, "x"))
	b.Wait(1, "FINAL", finalFor(plain))
	b.Send(ready.From, xrequest("c", plain, 0, "x"))
	b.Wait(2, "FINAL", finalFor(plain))
	if n := calls.Load(); n != 3 {
		t.Fatalf("handler ran %d times, want 3: broker-made UUIDs are not de-duplicated", n)
	}
}

// A re-delivery of a request still running is not run again; the one reply
// goes to the latest address.
func TestDedupInFlight(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	var calls atomic.Int32
	started := make(chan struct{}, 2)
	release := make(chan struct{})
	startWorker(t, b.Endpoint, "svc", HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		calls.Add(1)
		started <- struct{}{}
		awaitRelease(ctx, release)
		return [][]byte{[]byte("once")}, nil
	}), WithConcurrency(2))
	ready := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	id := uuid.New()
	b.Send(ready.From, xrequest("old", id, mdp.FlagClientUUID))
	mdptest.Receive(t, started, "a handler to start")
	b.Send(ready.From, xrequest("new", id, mdp.FlagClientUUID))
	marker := uuid.New() // a later request proves the duplicate was processed
	b.Send(ready.From, xrequest("m", marker, 0))
	mdptest.Receive(t, started, "a handler to start")
	close(release)
	b.Wait(1, "marker FINAL", finalFor(marker))
	final := b.Wait(1, "FINAL", finalFor(id))
	if string(final.Msg.Address) != "new" {
		t.Fatalf("reply went to %q, want the latest delivery", final.Msg.Address)
	}
	if n := calls.Load(); n != 2 { // the request once, the marker once
		t.Fatalf("handler ran %d times, want 2", n)
	}
	if n := len(b.Messages(finalFor(id))); n != 1 {
		t.Fatalf("%d replies to one request", n)
	}
}

type mapDeduper struct {
	mu      sync.Mutex
	replies map[uuid.UUID]Reply
	stores  int
}

func (d *mapDeduper) Seen(_ context.Context, id uuid.UUID) (Reply, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, ok := d.replies[id]
	return r, ok, nil
}

func (d *mapDeduper) Store(_ context.Context, id uuid.UUID, r Reply) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.replies[id] = r
	d.stores++
	return nil
}

// The durable hook: a UUID the store has seen is answered from it (even
// with the in-memory cache off, as after a restart), and new replies are
// stored.
func TestDeduperHook(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	stored := uuid.New()
	d := &mapDeduper{replies: map[uuid.UUID]Reply{stored: {Body: [][]byte{[]byte("from the store")}}}}
	var calls atomic.Int32
	startWorker(t, b.Endpoint, "svc", HandlerFunc(func(_ context.Context, req *Request) ([][]byte, error) {
		calls.Add(1)
		return [][]byte{[]byte("fresh")}, nil
	}), WithDeduper(d), WithDedupCache(0, 0))
	ready := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	b.Send(ready.From, xrequest("c", stored, mdp.FlagClientUUID))
	if got := b.Wait(1, "FINAL", finalFor(stored)); !bodyIs(got.Msg.Body, "from the store") {
		t.Fatalf("stored UUID answered %q", got.Msg.Body)
	}
	fresh := uuid.New()
	b.Send(ready.From, xrequest("c", fresh, mdp.FlagClientUUID))
	b.Wait(1, "FINAL", finalFor(fresh))
	b.Send(ready.From, xrequest("c", fresh, mdp.FlagClientUUID))
	if got := b.Wait(2, "FINAL", finalFor(fresh)); !bodyIs(got.Msg.Body, "fresh") {
		t.Fatalf("retry answered %q", got.Msg.Body)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("handler ran %d times, want 1", n)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stores != 1 {
		t.Fatalf("%d stores, want 1", d.stores)
	}
}

func TestReplyCacheBounds(t *testing.T) {
	c := newReplyCache(2, DefaultDedupBytes, time.Minute)
	now := time.Now()
	a, b, d := uuid.New(), uuid.New(), uuid.New()
	c.put(a, Reply{}, now)
	c.put(b, Reply{}, now)
	c.put(d, Reply{}, now)
	if _, ok := c.get(a, now); ok {
		t.Fatal("oldest entry kept beyond the size bound")
	}
	if _, ok := c.get(d, now); !ok {
		t.Fatal("newest entry missing")
	}
	if _, ok := c.get(b, now.Add(time.Minute)); ok {
		t.Fatal("entry kept beyond its TTL")
	}
	if len(c.byID) != 0 || c.order.Len() != 0 {
		t.Fatalf("expired entries left: %d, %d", len(c.byID), c.order.Len())
	}
	if !(Reply{Err: &Error{Status: 404}}).storable() || (Reply{Err: &Error{Status: 503}}).storable() {
		t.Fatal("4xx replies are storable, 5xx are not")
	}
}

// The cache holds its replies' bytes within its byte bound, oldest out
// first, and keeps no reply larger than the whole bound.
func TestReplyCacheByteBound(t *testing.T) {
	const max = 4 * (cacheEntryOverhead + 1000)
	c := newReplyCache(100, max, time.Minute)
	now := time.Now()
	kb := Reply{Body: [][]byte{make([]byte, 1000)}}
	var ids []uuid.UUID
	for range 6 {
		id := uuid.New()
		ids = append(ids, id)
		c.put(id, kb, now)
		if c.bytes > max {
			t.Fatalf("%d bytes held, bound %d", c.bytes, max)
		}
	}
	for i, id := range ids {
		if _, ok := c.get(id, now); ok != (i >= 2) {
			t.Errorf("reply %d kept %v, want only the newest four", i, ok)
		}
	}
	huge := uuid.New()
	c.put(huge, Reply{Body: [][]byte{make([]byte, max)}}, now)
	if _, ok := c.get(huge, now); ok || c.order.Len() != 4 {
		t.Fatalf("a reply larger than the bound was kept (%v) or evicted others (%d left)", ok, c.order.Len())
	}
	c.put(ids[5], Reply{Err: Errorf(404, "gone")}, now) // replacing an entry recounts its bytes
	if want := 3*(cacheEntryOverhead+1000) + cacheEntryOverhead + len("gone"); c.bytes != want {
		t.Fatalf("%d bytes counted after a replacement, want %d", c.bytes, want)
	}
	if _, err := New([]string{"tcp://127.0.0.1:5555"}, "svc", WithDedupCacheBytes(0)); err == nil {
		t.Fatal("WithDedupCacheBytes(0) accepted")
	}
}

// A request still running when the connection is lost, re-delivered by the
// broker on the new connection, runs once and is answered on the new one.
func TestDedupAcrossReconnect(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	var calls atomic.Int32
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	startWorker(t, b.Endpoint, "svc", HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		calls.Add(1)
		started <- struct{}{}
		awaitRelease(ctx, release)
		return [][]byte{[]byte("once")}, nil
	}), WithConcurrency(2))
	first := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	id := uuid.New()
	b.Send(first.From, xrequest("c", id, mdp.FlagClientUUID))
	mdptest.Receive(t, started, "a handler to start")
	b.Send(first.From, mdp.Message{Version: mdp.V02, Kind: mdp.WorkerDisconnect})
	second := b.Wait(2, "second XREADY", mdptest.IsKind(mdp.WorkerReady))
	b.Send(second.From, xrequest("c2", id, mdp.FlagClientUUID))
	marker := uuid.New()
	b.Send(second.From, xrequest("m", marker, 0))
	mdptest.Receive(t, started, "a handler to start") // the marker: the re-delivery did not start a handler
	close(release)
	final := b.Wait(1, "FINAL", finalFor(id))
	if final.From != second.From || string(final.Msg.Address) != "c2" || !bodyIs(final.Msg.Body, "once") {
		t.Fatalf("FINAL on %q to %q: %q", final.From, final.Msg.Address, final.Msg.Body)
	}
	b.Wait(1, "marker FINAL", finalFor(marker))
	if n := calls.Load(); n != 2 {
		t.Fatalf("handler ran %d times, want 2 (request once, marker once)", n)
	}
	if n := len(b.Messages(finalFor(id))); n != 1 {
		t.Fatalf("%d replies to one request", n)
	}
}

// WithDedupCache's size is the worker's: with room for one reply, a retry
// of an older request runs the handler again, a retry of the newest does
// not.
func TestDedupCacheSizeOption(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	var calls atomic.Int32
	startWorker(t, b.Endpoint, "svc", HandlerFunc(func(_ context.Context, req *Request) ([][]byte, error) {
		calls.Add(1)
		return req.Body, nil
	}), WithDedupCache(1, time.Minute))
	ready := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	older, newer := uuid.New(), uuid.New()
	for i, id := range []uuid.UUID{older, newer, newer, older} {
		n := len(b.Messages(finalFor(id)))
		b.Send(ready.From, xrequest("c", id, mdp.FlagClientUUID, "x"))
		b.Wait(n+1, fmt.Sprintf("FINAL %d", i), finalFor(id))
	}
	// older, newer: run; newer again: cached; older again: evicted, runs.
	if n := calls.Load(); n != 3 {
		t.Fatalf("handler ran %d times, want 3", n)
	}
}

// sqlLikeStore is a service's own store in which a handler writes its
// effect and the request UUID in one step, as it would in one database
// transaction; its Deduper reads the UUIDs back and stores nothing itself.
type sqlLikeStore struct {
	mu      sync.Mutex
	balance int
	applied map[uuid.UUID]Reply
}

func (s *sqlLikeStore) deposit(id uuid.UUID, amount int) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.balance += amount
	body := [][]byte{[]byte(strconv.Itoa(s.balance))}
	s.applied[id] = Reply{Body: body} // same "transaction" as the write
	return body
}

func (s *sqlLikeStore) Seen(_ context.Context, id uuid.UUID) (Reply, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.applied[id]
	return r, ok, nil
}

func (s *sqlLikeStore) Store(context.Context, uuid.UUID, Reply) error { return nil }

// The durable hook across a worker restart: a deposit applied by one
// worker and retried (same client UUID) to a new worker process (empty
// in-memory cache) is answered from the service's store with the original
// reply, and the money is not deposited twice.
func TestDeduperAcrossWorkerRestart(t *testing.T) {
	store := &sqlLikeStore{applied: map[uuid.UUID]Reply{}}
	var calls atomic.Int32
	h := HandlerFunc(func(_ context.Context, req *Request) ([][]byte, error) {
		calls.Add(1)
		amount, err := strconv.Atoi(string(req.Body[0]))
		if err != nil {
			return nil, Errorf(mdp.StatusBadRequest, "amount %q", req.Body[0])
		}
		return store.deposit(req.UUID, amount), nil
	})
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	id := uuid.New()

	first := startWorker(t, b.Endpoint, "bank", h, WithDeduper(store))
	ready := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	b.Send(ready.From, xrequest("c", id, mdp.FlagClientUUID, "100"))
	if got := b.Wait(1, "FINAL", finalFor(id)); !bodyIs(got.Msg.Body, "100") {
		t.Fatalf("deposit answered %q", got.Msg.Body)
	}
	first.cancel()
	if err := first.wait(t); err != nil {
		t.Fatalf("first worker: %v", err)
	}

	startWorker(t, b.Endpoint, "bank", h, WithDeduper(store))
	again := b.Wait(2, "XREADY of the new worker", mdptest.IsKind(mdp.WorkerReady))
	b.Send(again.From, xrequest("c", id, mdp.FlagClientUUID, "100"))
	if got := b.Wait(2, "FINAL to the retry", finalFor(id)); got.From != again.From || !bodyIs(got.Msg.Body, "100") {
		t.Fatalf("retry answered %q by %q", got.Msg.Body, got.From)
	}
	store.mu.Lock()
	bal := store.balance
	store.mu.Unlock()
	if n := calls.Load(); n != 1 || bal != 100 {
		t.Fatalf("handler ran %d times, balance %d; want 1, 100", n, bal)
	}
}
