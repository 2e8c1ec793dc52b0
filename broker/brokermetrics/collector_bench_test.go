package brokermetrics

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkScrape is one /metrics scrape (Collector and text encoding, no
// process or Go collectors) of a snapshot of MaxMetricServices services,
// each with two tiers and answered requests: the most per-service series
// a scrape can carry.
func BenchmarkScrape(b *testing.B) {
	var snap broker.Snapshot
	for i := range broker.MaxMetricServices {
		snap.Services = append(snap.Services, broker.ServiceSnapshot{Name: fmt.Sprintf("service-%04d", i), Mode: "overflow",
			Workers: 2, Idle: 2, Latency: hist(1, 2, 3, 4, 5, 6, 7, 8),
			Tiers: []broker.TierSnapshot{{Level: 1, Workers: 1, Idle: 1}, {Level: 2, Workers: 1, Idle: 1}}})
	}
	snap.Latency = hist(1, 2, 3)
	snap.Started = time.Now()
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(fixed{snap: snap}))
	h := Handler(reg)
	var size int
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		size = rec.Body.Len()
		io.Copy(io.Discard, rec.Body)
	}
	b.ReportMetric(float64(size), "bytes/scrape")
}
