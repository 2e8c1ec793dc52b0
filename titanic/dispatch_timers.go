package titanic

import (
	"container/heap"
	"time"
)

// timer is one entry of the dispatcher's timer heap. A job has one live
// timer at a time; a timer whose gen no longer matches its job's is stale
// and skipped (lazy deletion).
type timer struct {
	due time.Time
	job *job
	gen uint64
}

type timerHeap []timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = timer{}
	*h = old[:len(old)-1]
	return t
}

// schedule gives j a new timer, making any earlier one stale.
func (h *timerHeap) schedule(j *job, due time.Time) {
	j.gen++
	j.due = due
	heap.Push(h, timer{due: due, job: j, gen: j.gen})
}

// popDue returns the next live timer due at or before now.
func (h *timerHeap) popDue(now time.Time) (*job, bool) {
	for h.Len() > 0 {
		t := (*h)[0]
		if t.due.After(now) {
			return nil, false
		}
		heap.Pop(h)
		if t.gen == t.job.gen && !t.job.gone {
			return t.job, true
		}
	}
	return nil, false
}

// next is when the earliest timer is due (stale ones included: waking for
// one costs a loop turn); ok is false when there is none.
func (h timerHeap) next() (time.Time, bool) {
	if len(h) == 0 {
		return time.Time{}, false
	}
	return h[0].due, true
}

// compact drops the stale timers, which otherwise stay in the heap until
// they are due (a queued job's timer is its deadline, maybe a day away).
func (h *timerHeap) compact() {
	live := (*h)[:0]
	for _, t := range *h {
		if t.gen == t.job.gen && !t.job.gone {
			live = append(live, t)
		}
	}
	clear((*h)[len(live):])
	*h = live
	heap.Init(h)
}
