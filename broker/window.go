package broker

import "time"

// StatsWindow is the window of the per-service latency quantiles that
// mmi.services and mmi.stats report: the last one to two windows' worth.
const StatsWindow = time.Minute

// windowHistogram keeps request latencies of the current window and the
// one before, in the buckets of latencyBounds, so quantiles describe
// recent traffic. Memory is fixed; nothing is allocated until the first
// observation.
type windowHistogram struct {
	start     time.Time // of the current window
	since     time.Time // of the first observation (recent.go)
	cur, prev []uint64
}

func (h *windowHistogram) observe(now time.Time, d time.Duration) {
	h.rotate(now)
	i := 0
	for i < len(latencyBounds) && d > latencyBounds[i] {
		i++
	}
	h.cur[i]++
}

// rotate starts a new window when the current one is over; a gap of two
// windows or more leaves nothing behind.
func (h *windowHistogram) rotate(now time.Time) {
	if h.cur == nil {
		h.cur, h.prev = make([]uint64, len(latencyBounds)+1), make([]uint64, len(latencyBounds)+1)
		h.start, h.since = now, now
		return
	}
	switch age := now.Sub(h.start); {
	case age >= 2*StatsWindow:
		clear(h.prev)
		clear(h.cur)
		h.start, h.since = now, now
	case age >= StatsWindow:
		h.cur, h.prev = h.prev, h.cur
		clear(h.cur)
		h.start = h.start.Add(StatsWindow)
	}
}

// quantile is the upper bound of the bucket holding the q-th quantile of
// the last one to two windows (the largest bound for values beyond it),
// and how many observations there were; 0, 0 with none.
func (h *windowHistogram) quantile(now time.Time, q float64) (time.Duration, uint64) {
	if h.cur == nil {
		return 0, 0
	}
	h.rotate(now)
	var n uint64
	for i := range h.cur {
		n += h.cur[i] + h.prev[i]
	}
	if n == 0 {
		return 0, 0
	}
	rank := uint64(q*float64(n) + 0.999999)
	var seen uint64
	for i := range h.cur {
		seen += h.cur[i] + h.prev[i]
		if seen >= rank {
			return latencyBounds[min(i, len(latencyBounds)-1)], n
		}
	}
	return latencyBounds[len(latencyBounds)-1], n
}
