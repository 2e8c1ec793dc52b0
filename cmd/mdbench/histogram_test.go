package main

import (
	"math/rand"
	"sort"
	"testing"
	"time"
)

func TestHistogramBuckets(t *testing.T) {
	prev := -1
	for v := int64(0); v < 1<<20; v++ {
		b := bucketOf(v)
		if b < prev || b >= numBuckets {
			t.Fatalf("bucketOf(%d) = %d after %d", v, b, prev)
		}
		if top := bucketTop(b); v > top || (b > 0 && v <= bucketTop(b-1)) {
			t.Fatalf("value %d in bucket %d with top %d", v, b, top)
		}
		prev = b
	}
	if b := bucketOf(maxValue); b >= numBuckets {
		t.Fatalf("bucketOf(maxValue) = %d, numBuckets %d", b, numBuckets)
	}
}

// TestHistogramQuantiles compares with exact quantiles of random values:
// within the bucket's relative error, and never above the maximum.
func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	rng := rand.New(rand.NewSource(1))
	vals := make([]int64, 100000)
	for i := range vals {
		vals[i] = int64(rng.ExpFloat64() * float64(500*time.Microsecond))
		h.record(time.Duration(vals[i]))
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
	for _, q := range []float64{0, 0.5, 0.9, 0.99, 0.999, 1} {
		rank := int(q*float64(len(vals))+0.999999) - 1
		exact := vals[max(rank, 0)]
		got := int64(h.quantile(q))
		if got < exact || float64(got-exact) > float64(exact)/subBuckets+1 {
			t.Errorf("q%v = %d, exact %d", q, got, exact)
		}
	}
	if h.quantile(1) != time.Duration(vals[len(vals)-1]) {
		t.Errorf("q1 = %v, max %v", h.quantile(1), vals[len(vals)-1])
	}
	var empty histogram
	if empty.quantile(0.5) != 0 || empty.mean() != 0 {
		t.Error("empty histogram")
	}
}
