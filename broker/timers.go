package broker

import "time"

type timerKind uint8

const (
	timerHeartbeat   timerKind = iota // send a HEARTBEAT to w if it is due
	timerExpiry                       // expire w if it has been silent too long
	timerServiceIdle                  // forget s if it is still empty
	timerCacheSweep                   // drop reply-cache entries past their TTL
	timerOverdue                      // disconnect w if it still holds expired request r
)

// timer is one scheduled check of a worker, a service or the cache. Timers are never cancelled: when one fires,
// its handler checks whether it still applies (the worker may be gone, the
// request answered, the heartbeat already sent) and reschedules if needed.
// So a message from a worker costs one field write, not a heap update.
type timer struct {
	at   time.Time
	kind timerKind
	w    *worker
	s    *service
	r    *request
}

// timerHeap is a binary min-heap by time, typed to avoid container/heap's
// interface boxing on the hot path.
type timerHeap []timer

func (h *timerHeap) push(t timer) {
	*h = append(*h, t)
	a := *h
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !a[i].at.Before(a[p].at) {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
}

// popDue removes and returns the earliest timer if it is due at now.
func (h *timerHeap) popDue(now time.Time) (timer, bool) {
	a := *h
	if len(a) == 0 || a[0].at.After(now) {
		return timer{}, false
	}
	t := a[0]
	last := len(a) - 1
	a[0] = a[last]
	a[last] = timer{}
	a = a[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(a) && a[l].at.Before(a[m].at) {
			m = l
		}
		if r < len(a) && a[r].at.Before(a[m].at) {
			m = r
		}
		if m == i {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return t, true
}

// next is when the earliest timer is due; ok is false when there is none.
func (h timerHeap) next() (time.Time, bool) {
	if len(h) == 0 {
		return time.Time{}, false
	}
	return h[0].at, true
}
