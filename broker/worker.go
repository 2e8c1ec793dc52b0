package broker

import (
	"time"

	"github.com/majordomo-go/majordomo/mdp"
)

// worker is one registered worker connection.
type worker struct {
	id       string // ROUTER identity, as a map key
	identity []byte
	version  mdp.Version
	ext      bool
	service  *service
	tier     *tier
	capacity int
	draining bool // sent XDRAIN: no new requests

	// inflight holds the requests the worker was given, by the opaque
	// address each went with; a reply must name one of them (and, from an
	// extension worker, its UUID). A request that expired while held stays
	// here, taking its slot, until the worker answers or goes.
	inflight map[clientAddr]*request

	interval time.Duration // heartbeat interval used for this worker
	expiry   time.Duration // silence that expires it
	lastRecv time.Time
	lastSend time.Time
	gone     bool // removed: timers referring to it are stale

	prev, next *worker // the tier's free list
	inFree     bool
	busy       bool // counted in service.busy
	active     bool // the active worker of an exclusive service

	registered time.Time
	mode       mdp.Mode // declared in XREADY
	name       string   // declared in XREADY, for discovery
	swVersion  string
	metadata   map[string]string
	key        string // its CURVE key's Z85 (User-Id), "" on a plain endpoint
	address    string // its IP address (Peer-Address), "" on ipc and inproc
	served     uint64 // final replies
	errors     uint64 // error replies
}

// setBusy keeps service.busy, the workers holding requests and not
// draining, up to date; call it when either may have changed.
func (w *worker) setBusy(busy bool) {
	busy = busy && !w.draining && !w.gone
	if busy != w.busy {
		w.busy = busy
		if busy {
			w.service.busy++
			w.tier.busy++
		} else {
			w.service.busy--
			w.tier.busy--
		}
	}
}

// free reports whether the worker can take another request.
func (w *worker) free() bool {
	return !w.draining && !w.gone && len(w.inflight) < w.capacity
}

// workerList is an intrusive doubly linked list of workers with free
// capacity: O(1) push, pop and removal.
type workerList struct {
	head, tail *worker
	n          int
}

func (l *workerList) pushBack(w *worker) {
	w.prev, w.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = w
	} else {
		l.head = w
	}
	l.tail = w
	l.n++
	w.inFree = true
}

func (l *workerList) remove(w *worker) {
	if !w.inFree {
		return
	}
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		l.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		l.tail = w.prev
	}
	w.prev, w.next = nil, nil
	l.n--
	w.inFree = false
}
