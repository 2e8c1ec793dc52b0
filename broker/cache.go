package broker

import (
	"time"

	"github.com/google/uuid"
)

// replyCache remembers the final replies of requests answered recently, so
// that a client's retry of one is answered again instead of run twice. It
// is bounded in entries, bytes and age; entries leave in insertion order,
// which is also expiry order.
type replyCache struct {
	maxEntries int
	maxBytes   int64
	ttl        time.Duration
	entries    map[uuid.UUID]*cachedReply
	head, tail *cachedReply
	bytes      int64
}

type cachedReply struct {
	id      uuid.UUID
	service string
	body    [][]byte
	size    int64
	at      time.Time
	next    *cachedReply
}

func newReplyCache(maxEntries int, maxBytes int64, ttl time.Duration) *replyCache {
	return &replyCache{maxEntries: maxEntries, maxBytes: maxBytes, ttl: ttl,
		entries: make(map[uuid.UUID]*cachedReply)}
}

func (c *replyCache) put(now time.Time, id uuid.UUID, service string, body [][]byte, size int64) {
	if c.maxEntries == 0 || size > c.maxBytes {
		return
	}
	if _, ok := c.entries[id]; ok {
		return
	}
	e := &cachedReply{id: id, service: service, body: body, size: size, at: now}
	c.entries[id] = e
	if c.tail != nil {
		c.tail.next = e
	} else {
		c.head = e
	}
	c.tail = e
	c.bytes += size
	for len(c.entries) > c.maxEntries || c.bytes > c.maxBytes {
		c.evictHead()
	}
}

func (c *replyCache) get(now time.Time, id uuid.UUID) (*cachedReply, bool) {
	e, ok := c.entries[id]
	if !ok || now.Sub(e.at) > c.ttl {
		return nil, false
	}
	return e, true
}

// sweep drops entries older than the TTL.
func (c *replyCache) sweep(now time.Time) {
	for c.head != nil && now.Sub(c.head.at) > c.ttl {
		c.evictHead()
	}
}

func (c *replyCache) evictHead() {
	e := c.head
	c.head = e.next
	if c.head == nil {
		c.tail = nil
	}
	delete(c.entries, e.id)
	c.bytes -= e.size
}
