package workers

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Reply is a FINAL reply as stored for de-duplication: the body frames of a
// success, or the error reply (Err non-nil; Body then unused).
type Reply struct {
	Body [][]byte
	Err  *Error
}

// Deduper makes de-duplication durable. For a request whose client chose
// its UUID (Request.ClientUUID), the worker calls Seen before running the
// handler and, when it reports a stored reply, sends that reply instead;
// after the handler answers, it calls Store with the reply. A store that
// writes the UUID and reply in the same transaction as the handler's own
// write (and so makes Store a no-op) gets exactly-once effects across worker
// restarts.
//
// Seen and Store run in the request's handler goroutine, with its context,
// and may block on I/O. They are called concurrently for different UUIDs
// when the concurrency is above one. An error from Seen fails the request
// with status 500 without running the handler; an error from Store is logged
// and the reply is still sent.
//
// Only successful replies and 4xx error replies are stored; a 5xx reply
// says that a retry may succeed, so a retry runs the handler again.
type Deduper interface {
	Seen(ctx context.Context, id uuid.UUID) (Reply, bool, error)
	Store(ctx context.Context, id uuid.UUID, r Reply) error
}

// storable reports whether a reply may answer a retry of its request.
func (r Reply) storable() bool {
	return r.Err == nil || r.Err.Status < 500
}

// cacheEntryOverhead is what an entry costs beyond its reply's bytes (the
// list element, the map slot, the UUID), counted against the byte bound.
const cacheEntryOverhead = 128

// replyCache is the bounded in-memory cache of recent FINAL replies by
// request UUID, bounded in entries, in bytes and in age. Entries go in time
// order, so the oldest is at the front for all three bounds. One cache
// serves the worker's connections to every broker (a client's retry through
// another broker is answered from it), so a mutex guards it.
type replyCache struct {
	mu       sync.Mutex
	size     int
	maxBytes int
	ttl      time.Duration
	bytes    int        // of the entries held, with their overhead
	order    *list.List // of *cacheEntry, oldest first
	byID     map[uuid.UUID]*list.Element
}

type cacheEntry struct {
	id      uuid.UUID
	reply   Reply
	bytes   int
	expires time.Time
}

func newReplyCache(size, maxBytes int, ttl time.Duration) *replyCache {
	return &replyCache{size: size, maxBytes: maxBytes, ttl: ttl, order: list.New(), byID: make(map[uuid.UUID]*list.Element)}
}

// replyBytes is the memory a reply holds.
func replyBytes(r Reply) int {
	n := cacheEntryOverhead + bodySize(r.Body)
	if r.Err != nil {
		n += len(r.Err.Text)
	}
	return n
}

func (c *replyCache) get(id uuid.UUID, now time.Time) (Reply, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	if e, ok := c.byID[id]; ok {
		return e.Value.(*cacheEntry).reply, true
	}
	return Reply{}, false
}

func (c *replyCache) put(id uuid.UUID, r Reply, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := replyBytes(r)
	if c.size == 0 || n > c.maxBytes {
		return // a reply larger than the whole cache is not kept
	}
	if e, ok := c.byID[id]; ok {
		c.remove(e)
	}
	c.byID[id] = c.order.PushBack(&cacheEntry{id: id, reply: r, bytes: n, expires: now.Add(c.ttl)})
	c.bytes += n
	for c.order.Len() > c.size || c.bytes > c.maxBytes {
		c.remove(c.order.Front())
	}
	c.expire(now)
}

func (c *replyCache) expire(now time.Time) {
	for e := c.order.Front(); e != nil && !now.Before(e.Value.(*cacheEntry).expires); e = c.order.Front() {
		c.remove(e)
	}
}

func (c *replyCache) remove(e *list.Element) {
	entry := e.Value.(*cacheEntry)
	delete(c.byID, entry.id)
	c.bytes -= entry.bytes
	c.order.Remove(e)
}
