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

// recent summarises the window at now.
func (h *windowHistogram) recent(now time.Time) RecentStats {
	p50, n := h.quantile(now, 0.50)
	if n == 0 {
		return RecentStats{}
	}
	p99, _ := h.quantile(now, 0.99)
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
