package broker

import (
	"slices"
	"time"
)

// latencyBounds are the upper bounds of the request latency histogram's
// buckets, from accept to final reply.
var latencyBounds = []time.Duration{
	100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond,
	25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond,
	500 * time.Millisecond, time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
}

type histogram struct {
	counts []uint64 // one per bound, plus one for larger values
	sum    time.Duration
	n      uint64
}

func newHistogram() histogram {
	return histogram{counts: make([]uint64, len(latencyBounds)+1)}
}

func (h *histogram) observe(d time.Duration) {
	i := 0
	for i < len(latencyBounds) && d > latencyBounds[i] {
		i++
	}
	h.counts[i]++
	h.sum += d
	h.n++
}

// HistogramSnapshot is a copy of the latency histogram. Counts[i] counts
// observations in (Bounds[i-1], Bounds[i]]; the last element counts those
// above every bound. (Prometheus wants cumulative counts: sum as you go.)
type HistogramSnapshot struct {
	Bounds []time.Duration
	Counts []uint64
	Sum    time.Duration
	Count  uint64
}

func (h *histogram) snapshot() HistogramSnapshot {
	return HistogramSnapshot{Bounds: slices.Clone(latencyBounds), Counts: append([]uint64(nil), h.counts...), Sum: h.sum, Count: h.n}
}
