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

// request is one logical client request, queued or in flight. It is keyed
// by UUID: the client's own (extension) or one the broker made up.
type request struct {
	id         uuid.UUID
	clientUUID bool   // id came from the client: dedup applies
	client     []byte // the client's latest address
	form       clientForm
	service    *service
	body       [][]byte
	size       int64
	accepted   time.Time
	deadline   time.Time
	attempts   int // deliveries to workers so far

	queued    bool    // in service.queue and the deadline heap
	heapIndex int     // position in the deadline heap
	worker    *worker // holding it, when in flight
	done      bool    // answered, failed or expired: gone from the broker's maps

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
