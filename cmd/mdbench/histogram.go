package main

import (
	"math/bits"
	"time"
)

// The histogram keeps subBuckets linear buckets per power of two, so a
// recorded value is off by at most 1/subBuckets (1.6%); values below
// subBuckets nanoseconds are exact. maxValue bounds what it holds (larger
// values count as maxValue).
const (
	subBits    = 6
	subBuckets = 1 << subBits
	maxValue   = int64(1) << 40 // about 18 minutes in nanoseconds
	numBuckets = (40-subBits+1)*subBuckets + subBuckets
)

// histogram records latencies in nanoseconds in a fixed array: recording
// allocates nothing and costs a few instructions. Not safe for concurrent use.
type histogram struct {
	counts [numBuckets]uint64
	n      uint64
	sum    int64
	min    int64
	max    int64
}

func bucketOf(v int64) int {
	if v < subBuckets {
		return int(max(v, 0))
	}
	shift := bits.Len64(uint64(v)) - subBits - 1 // v>>shift is in [subBuckets, 2*subBuckets)
	return (shift+1)*subBuckets + int(v>>shift) - subBuckets
}

// bucketTop is the largest value that falls in bucket i.
func bucketTop(i int) int64 {
	if i < subBuckets {
		return int64(i)
	}
	shift := i/subBuckets - 1
	base := int64(i%subBuckets + subBuckets)
	return (base+1)<<shift - 1
}

func (h *histogram) record(d time.Duration) {
	v := min(int64(d), maxValue)
	if h.n == 0 || v < h.min {
		h.min = v
	}
	h.max = max(h.max, v)
	h.n++
	h.sum += v
	h.counts[bucketOf(v)]++
}

// quantile is the smallest recorded bucket value with at least q of all
// values at or below it (q in [0, 1]); never above the maximum recorded.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q * float64(h.n))
	if float64(rank) < q*float64(h.n) || rank == 0 {
		rank++
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(bucketTop(i), h.max))
		}
	}
	return time.Duration(h.max)
}

func (h *histogram) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / int64(h.n))
}
