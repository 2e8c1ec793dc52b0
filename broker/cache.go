package broker

import "time"

// replyCache remembers the final replies of requests answered recently, so
// that a client's retry of one is answered again instead of run twice. It
// is keyed by service and UUID: only a request naming the same service and
// UUID gets a cached reply. It is bounded in entries, bytes and age;
// entries leave in insertion order, which is also expiry order.
type replyCache struct {
	maxEntries int
	maxBytes   int64
	ttl        time.Duration
	entries    map[requestKey]*cachedReply
	head, tail *cachedReply
	bytes      int64
}

type cachedReply struct {
	key  requestKey
	body [][]byte
	size int64
	at   time.Time
	next *cachedReply
}

func newReplyCache(maxEntries int, maxBytes int64, ttl time.Duration) *replyCache {
	return &replyCache{maxEntries: maxEntries, maxBytes: maxBytes, ttl: ttl,
		entries: make(map[requestKey]*cachedReply)}
}

func (c *replyCache) put(now time.Time, key requestKey, body [][]byte, size int64) {
	if c.maxEntries == 0 || size > c.maxBytes {
		return
	}
	if _, ok := c.entries[key]; ok {
		return
	}
	e := &cachedReply{key: key, body: body, size: size, at: now}
	c.entries[key] = e
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

func (c *replyCache) get(now time.Time, key requestKey) (*cachedReply, bool) {
	e, ok := c.entries[key]
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
	delete(c.entries, e.key)
	c.bytes -= e.size
}
