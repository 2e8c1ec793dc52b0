package broker

import (
	"time"

	"github.com/google/uuid"
)

// clientForm is how a client spoke, and so how it must be answered.
type clientForm uint8

const (
	form01  clientForm = iota // MDP/0.1: one REPLY, no errors
	form02                    // MDP/0.2: PARTIALs then FINAL, no errors
	formExt                   // extension: XPARTIAL/XFINAL/XERROR with the UUID
)

// requestKey is what de-duplication and the reply cache know a request
// by: the caller's CURVE key (its Z85; empty on plain endpoints), the
// service it names and its UUID, so that the same UUID sent for another
// service, or by another key, is another request, and a cached reply goes
// only to the key that made the request.
type requestKey struct {
	caller  string
	service string
	id      uuid.UUID
}

// addrLen is the size of the opaque client address a worker gets.
const addrLen = 16

// clientAddr is the opaque client address the broker gives a worker with
// a request: the broker's random prefix and a counter, one per request
// accepted. It names no peer: the broker alone maps it to the client.
type clientAddr [addrLen]byte

// request is one logical client request, queued or in flight. It is keyed
// by caller, service and UUID: the client's own UUID (extension) or one the
// broker made up, which stays the same however often it is delivered.
type request struct {
	id         uuid.UUID
	key        requestKey
	addr       clientAddr // what workers see instead of the client's identity
	clientUUID bool       // id came from the client: dedup applies
	client     []byte     // the client's latest ROUTER identity
	form       clientForm
	service    *service
	body       [][]byte
	size       int64 // body bytes
	cost       int64 // what it counts against the queue bounds (queueCost)
	accepted   time.Time
	deadline   time.Time
	attempts   int // deliveries to workers so far

	queued    bool    // in service.queue
	heapIndex int     // position in the deadline heap, -1 when not in it
	worker    *worker // holding it, when in flight
	done      bool    // answered, failed or expired: gone from the broker's maps

	unserved      bool   // queued while its service had no worker (see holdUnserved)
	unservedOwner string // the identity it was counted against

	owner *clientConn // the connection it counts against (ClientMaxInFlight), or nil

	prev, next *request // service queue links
}

// requestQueue is an intrusive doubly linked FIFO: O(1) push at either end,
// pop and removal from the middle (a request that expires while queued).
type requestQueue struct {
	head, tail *request
	n          int
}

func (q *requestQueue) pushBack(r *request) {
	r.prev, r.next = q.tail, nil
	if q.tail != nil {
		q.tail.next = r
	} else {
		q.head = r
	}
	q.tail = r
	q.n++
}

func (q *requestQueue) pushFront(r *request) {
	r.prev, r.next = nil, q.head
	if q.head != nil {
		q.head.prev = r
	} else {
		q.tail = r
	}
	q.head = r
	q.n++
}

func (q *requestQueue) remove(r *request) {
	if r.prev != nil {
		r.prev.next = r.next
	} else {
		q.head = r.next
	}
	if r.next != nil {
		r.next.prev = r.prev
	} else {
		q.tail = r.prev
	}
	r.prev, r.next = nil, nil
	q.n--
}

func (q *requestQueue) len() int { return q.n }
