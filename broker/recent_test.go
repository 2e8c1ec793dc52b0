package broker

import (
	"math/rand"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/mdp"
)

// The recent stats cover the time since the first answer, at most the
// current window and the one before; the rate is answers over that span.
func TestRecentStats(t *testing.T) {
	var h windowHistogram
	t0 := time.Unix(1000, 0)
	if r := h.recent(t0); r != (RecentStats{}) || r.Rate() != 0 {
		t.Fatalf("empty window: %+v", r)
	}
	for i := range 30 {
		h.observe(t0.Add(time.Duration(i)*time.Second), 3*time.Millisecond)
	}
	r := h.recent(t0.Add(30 * time.Second))
	if r.Answered != 30 || r.Span != 30*time.Second || r.P50 != 5*time.Millisecond || r.P99 != 5*time.Millisecond || r.Rate() != 1 {
		t.Fatalf("after 30 s: %+v rate %v", r, r.Rate())
	}
	// 90 s on: the window rotated once; the span is the previous window and
	// this one's 30 s, and still holds every answer.
	r = h.recent(t0.Add(90 * time.Second))
	if r.Answered != 30 || r.Span != 90*time.Second {
		t.Fatalf("after 90 s: %+v", r)
	}
	// Two windows of silence forget everything.
	if r = h.recent(t0.Add(200 * time.Second)); r.Answered != 0 {
		t.Fatalf("after 200 s: %+v", r)
	}
	h.observe(t0.Add(200*time.Second), time.Millisecond)
	if r = h.recent(t0.Add(200*time.Second + 100*time.Millisecond)); r.Answered != 1 || r.Rate() != 1 {
		t.Fatalf("a fresh answer: %+v rate %v (a span under 1 s counts as 1 s)", r, r.Rate())
	}
}

// Errors are counted by status class; statuses outside 400-599 (sent on
// as 500) count as 5xx.
func TestErrorClasses(t *testing.T) {
	var o OutcomeCounts
	for _, s := range []mdp.Status{400, 404, 499, 500, 503, 599, 200, 600} {
		o.countError(s)
	}
	if o.WorkerErrors != 8 || o.Errors4xx != 3 || o.Errors5xx != 5 {
		t.Fatalf("%+v", o)
	}
}

// recent finds the same quantiles as windowHistogram.quantile, which
// mmi.services reports, whatever the observations.
func TestRecentMatchesQuantile(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	t0 := time.Unix(1000, 0)
	for trial := range 200 {
		var h windowHistogram
		now := t0
		for range 1 + rng.Intn(300) {
			now = now.Add(time.Duration(rng.Intn(2000)) * time.Millisecond)
			h.observe(now, time.Duration(rng.ExpFloat64()*float64(20*time.Millisecond)))
		}
		r := h.recent(now)
		p50, n := h.quantile(now, 0.50)
		p99, _ := h.quantile(now, 0.99)
		if r.P50 != p50 || r.P99 != p99 || r.Answered != n {
			t.Fatalf("trial %d: recent %+v, quantile p50 %v p99 %v n %d", trial, r, p50, p99, n)
		}
	}
}
