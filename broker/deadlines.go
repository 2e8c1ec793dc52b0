package broker

import "time"

// deadlineHeap orders the live requests, queued or held by a worker, by
// deadline. Unlike the lazy timer heap it is indexed (each request knows
// its position), so a request leaves it in O(log n) when it is answered or
// fails: the heap never holds more than the live requests, which the queue
// bounds and the workers' capacities bound.
type deadlineHeap []*request

func (h *deadlineHeap) push(r *request) {
	r.heapIndex = len(*h)
	*h = append(*h, r)
	h.up(r.heapIndex)
}

func (h *deadlineHeap) remove(r *request) {
	a := *h
	i, last := r.heapIndex, len(a)-1
	if i != last {
		h.swap(i, last)
	}
	a[last] = nil
	*h = a[:last]
	r.heapIndex = -1
	if i != last {
		h.down(i)
		h.up(i)
	}
}

// popDue removes and returns the request with the earliest deadline if it
// has passed.
func (h *deadlineHeap) popDue(now time.Time) *request {
	if len(*h) == 0 || (*h)[0].deadline.After(now) {
		return nil
	}
	r := (*h)[0]
	h.remove(r)
	return r
}

func (h deadlineHeap) next() (time.Time, bool) {
	if len(h) == 0 {
		return time.Time{}, false
	}
	return h[0].deadline, true
}

func (h deadlineHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIndex = i
	h[j].heapIndex = j
}

func (h deadlineHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h[i].deadline.Before(h[p].deadline) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h deadlineHeap) down(i int) {
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h) && h[l].deadline.Before(h[m].deadline) {
			m = l
		}
		if r < len(h) && h[r].deadline.Before(h[m].deadline) {
			m = r
		}
		if m == i {
			return
		}
		h.swap(i, m)
		i = m
	}
}
