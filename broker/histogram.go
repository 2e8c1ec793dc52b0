package broker

import "time"

// latencyBounds are the upper bounds of the request latency histogram's
// buckets, from accept to final reply.
var latencyBounds = []time.Duration{
	100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond,
	25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond,
	500 * time.Millisecond, time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
}

// LatencyBounds returns the upper bounds of the latency histograms'
// buckets (a copy).
func LatencyBounds() []time.Duration { return append([]time.Duration(nil), latencyBounds...) }

// histogram counts latencies in the buckets of latencyBounds. Its zero
// value is empty and allocates nothing until the first observation, so
// that a service that never answers costs no buckets.
type histogram struct {
	counts []uint64 // one per bound, plus one for larger values
	sum    time.Duration
	n      uint64
}

func newHistogram() histogram {
	return histogram{counts: make([]uint64, len(latencyBounds)+1)}
}

func (h *histogram) observe(d time.Duration) {
	if h.counts == nil {
		h.counts = make([]uint64, len(latencyBounds)+1)
	}
	i := 0
	for i < len(latencyBounds) && d > latencyBounds[i] {
		i++
	}
	h.counts[i]++
	h.sum += d
	h.n++
}

// HistogramSnapshot is a copy of a latency histogram. Counts[i] counts
// observations in (Bounds[i-1], Bounds[i]]; the last element counts those
// above every bound. (Prometheus wants cumulative counts: sum as you go.)
// Bounds is shared by every snapshot: read it, never change it. Counts is
// nil for a histogram with no observation.
type HistogramSnapshot struct {
	Bounds []time.Duration
	Counts []uint64
	Sum    time.Duration
	Count  uint64
}

func (h *histogram) snapshot() HistogramSnapshot {
	var counts []uint64
	if h.counts != nil {
		counts = append([]uint64(nil), h.counts...)
	}
	return HistogramSnapshot{Bounds: latencyBounds, Counts: counts, Sum: h.sum, Count: h.n}
}

// countSlab hands out copies of histograms' counts from one allocation
// per snapshot chunk instead of one per service.
type countSlab []uint64

// take copies counts into the slab, allocating room for n histograms when
// it has run out.
func (s *countSlab) take(n int, counts []uint64) []uint64 {
	k := len(counts)
	if len(*s) < k {
		*s = make([]uint64, k*max(n, 1))
	}
	out := (*s)[:k:k]
	*s = (*s)[k:]
	copy(out, counts)
	return out
}
