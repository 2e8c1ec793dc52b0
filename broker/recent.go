package broker

import (
	"time"

	"github.com/majordomo-go/majordomo/mdp"
)

// RecentStats describe a service's answered requests over the last
// StatsWindow to twice that (the window mmi.services reports).
type RecentStats struct {
	Answered uint64        // answered requests in the span
	Span     time.Duration // how much time the counts cover: up to 2 × StatsWindow
	P50, P99 time.Duration // bucket upper bounds (LatencyBounds); 0 with no answer
}

// Rate is the answered requests per second over the span; 0 for an empty
// span. A span under a second counts as one, so that the first answers of
// a new service do not show a huge rate.
func (r RecentStats) Rate() float64 {
	if r.Answered == 0 {
		return 0
	}
	return float64(r.Answered) / max(r.Span.Seconds(), 1)
}

// recent summarises the window at now, both quantiles in one pass (as
// windowHistogram.quantile finds them).
func (h *windowHistogram) recent(now time.Time) RecentStats {
	if h.cur == nil {
		return RecentStats{}
	}
	h.rotate(now)
	var n uint64
	for i := range h.cur {
		n += h.cur[i] + h.prev[i]
	}
	if n == 0 {
		return RecentStats{}
	}
	r50, r99 := uint64(0.50*float64(n)+0.999999), uint64(0.99*float64(n)+0.999999)
	var p50, p99 time.Duration
	var seen uint64
	for i := range h.cur {
		seen += h.cur[i] + h.prev[i]
		bound := latencyBounds[min(i, len(latencyBounds)-1)]
		if p50 == 0 && seen >= r50 {
			p50 = bound
		}
		if seen >= r99 {
			p99 = bound
			break
		}
	}
	from := h.start.Add(-StatsWindow)
	if from.Before(h.since) {
		from = h.since
	}
	return RecentStats{Answered: n, Span: now.Sub(from), P50: p50, P99: p99}
}

// countError counts a request that ended with an error status from (or
// about) its worker, by status class. Statuses outside 400-599 count as
// 5xx: the broker sends them on as 500.
func (o *OutcomeCounts) countError(status mdp.Status) {
	o.WorkerErrors++
	if status >= 400 && status <= 499 {
		o.Errors4xx++
		return
	}
	o.Errors5xx++
}
