package brokermetrics

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// fixed is a Source that always answers the same snapshot (or error).
type fixed struct {
	snap broker.Snapshot
	err  error
}

func (f fixed) Snapshot(context.Context) (broker.Snapshot, error) { return f.snap, f.err }

// scrape gets h's /metrics and parses it with the Prometheus text parser.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", rec.Code, rec.Body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// sample finds the metric of family name whose labels are exactly the
// pairs given, or fails the test.
func sample(t *testing.T, fams map[string]*dto.MetricFamily, name string, pairs ...string) *dto.Metric {
	t.Helper()
	fam, ok := fams[name]
	if !ok {
		t.Fatalf("no family %s", name)
	}
	for _, m := range fam.Metric {
		if labelsAre(m, pairs) {
			return m
		}
	}
	t.Fatalf("no %s%v", name, pairs)
	return nil
}

func labelsAre(m *dto.Metric, pairs []string) bool {
	if len(m.Label)*2 != len(pairs) {
		return false
	}
	want := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		want[pairs[i]] = pairs[i+1]
	}
	for _, l := range m.Label {
		if v, ok := want[l.GetName()]; !ok || v != l.GetValue() {
			return false
		}
	}
	return true
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	return m.GetUntyped().GetValue()
}

func handlerOf(src Source) http.Handler { return Handler(NewRegistry(src)) }

func hist(counts ...uint64) broker.HistogramSnapshot {
	h := broker.HistogramSnapshot{Bounds: broker.LatencyBounds(), Counts: make([]uint64, len(broker.LatencyBounds())+1)}
	copy(h.Counts, counts)
	for _, n := range counts {
		h.Count += n
	}
	h.Sum = time.Duration(h.Count) * time.Millisecond
	return h
}

// Every family comes out with its type, the per-service and per-tier
// series carry what the snapshot says, and the histograms are cumulative
// with +Inf equal to the count.
func TestCollectorFamilies(t *testing.T) {
	snap := broker.Snapshot{Taken: time.Unix(2000, 0), Started: time.Unix(1000, 0), Queued: 3, InFlight: 2,
		Latency: hist(2, 0, 0, 0, 1), Counters: broker.Counters{Requests: 9, Malformed: 4, Handovers: 1, Cancelled: 2, CancelsIgnored: 1}}
	snap.Services = []broker.ServiceSnapshot{
		{Name: "db", Mode: "exclusive", Workers: 2, Idle: 1, Busy: 1, Activations: 3, Queued: 3, QueuedBytes: 99,
			Outcomes: broker.OutcomeCounts{Answered: 5, WorkerErrors: 3, Errors4xx: 1, Errors5xx: 2, Expired: 1},
			Latency:  hist(0, 4, 1),
			Tiers:    []broker.TierSnapshot{{Level: 1, Workers: 1, Active: 1}, {Level: 2, Workers: 1, Standby: 1}}},
		{Name: "st", Mode: "strict", Workers: 1, Idle: 1, Tiers: []broker.TierSnapshot{{Level: 1, Workers: 1, Idle: 1}}},
	}
	fams := scrape(t, handlerOf(fixed{snap: snap}))
	for _, c := range []struct {
		name  string
		pairs []string
		want  float64
	}{
		{"mdbroker_requests_total", []string{"service", "db", "outcome", "answered"}, 5},
		{"mdbroker_requests_total", []string{"service", "db", "outcome", "worker_error_4xx"}, 1},
		{"mdbroker_requests_total", []string{"service", "db", "outcome", "worker_error_5xx"}, 2},
		{"mdbroker_requests_total", []string{"service", "db", "outcome", "expired"}, 1},
		{"mdbroker_queue_depth", []string{"service", "db"}, 3},
		{"mdbroker_queue_bytes", []string{"service", "db"}, 99},
		{"mdbroker_workers", []string{"service", "db", "state", "busy"}, 1},
		{"mdbroker_service_mode", []string{"service", "db", "mode", "exclusive"}, 1},
		{"mdbroker_service_mode", []string{"service", "st", "mode", "strict"}, 1},
		{"mdbroker_service_activations_total", []string{"service", "db"}, 3},
		{"mdbroker_tier_workers", []string{"service", "db", "tier", "1", "state", "active"}, 1},
		{"mdbroker_tier_workers", []string{"service", "db", "tier", "2", "state", "standby"}, 1},
		{"mdbroker_tier_workers", []string{"service", "st", "tier", "1", "state", "idle"}, 1},
		{"mdbroker_requests_queued", nil, 3},
		{"mdbroker_requests_in_flight", nil, 2},
		{"mdbroker_services", nil, 2},
		{"mdbroker_services_unlisted", nil, 0},
		{"mdbroker_draining", nil, 0},
		{"mdbroker_start_time_seconds", nil, 1000},
		{"mdbroker_client_requests_total", nil, 9},
		{"mdbroker_malformed_messages_total", nil, 4},
		{"mdbroker_handovers_total", nil, 1},
		{"mdbroker_foreign_replies_total", nil, 0},
		{"mdbroker_cancelled_requests_total", nil, 2},
		{"mdbroker_ignored_cancels_total", nil, 1},
		{"mdbroker_oversize_messages_total", nil, 0},
	} {
		if got := value(sample(t, fams, c.name, c.pairs...)); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.pairs, got, c.want)
		}
	}
	if n := len(fams["mdbroker_service_activations_total"].Metric); n != 1 {
		t.Errorf("%d activation series, want 1 (exclusive services only)", n)
	}
	if fams["mdbroker_requests_total"].GetType() != dto.MetricType_COUNTER ||
		fams["mdbroker_queue_depth"].GetType() != dto.MetricType_GAUGE {
		t.Error("wrong family types")
	}
	if b := sample(t, fams, "mdbroker_build_info", "version", broker.Version, "build",
		fams["mdbroker_build_info"].Metric[0].Label[0].GetValue()); value(b) != 1 {
		t.Error("build info is not 1")
	}

	h := sample(t, fams, "mdbroker_service_request_duration_seconds", "service", "db").GetHistogram()
	checkCumulative(t, h, 5, map[float64]uint64{0.0001: 0, 0.00025: 4, 0.0005: 5, 10: 5})
	all := sample(t, fams, "mdbroker_request_duration_seconds").GetHistogram()
	checkCumulative(t, all, 3, map[float64]uint64{0.0001: 2, 0.001: 2, 0.0025: 3})
	for _, name := range []string{"process_start_time_seconds", "go_goroutines", "go_memstats_alloc_bytes"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("no %s: NewRegistry must hold the process and Go collectors", name)
		}
	}
}

func checkCumulative(t *testing.T, h *dto.Histogram, count uint64, want map[float64]uint64) {
	t.Helper()
	if h == nil || h.GetSampleCount() != count {
		t.Fatalf("histogram %v: want count %d", h, count)
	}
	var prev uint64
	for _, b := range h.Bucket {
		if b.GetCumulativeCount() < prev {
			t.Errorf("bucket le=%v falls to %d from %d", b.GetUpperBound(), b.GetCumulativeCount(), prev)
		}
		prev = b.GetCumulativeCount()
		if w, ok := want[b.GetUpperBound()]; ok && w != b.GetCumulativeCount() {
			t.Errorf("bucket le=%v = %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), w)
		}
	}
	// The parser gives the +Inf bucket too: it must hold every observation.
	if len(h.Bucket) != len(broker.LatencyBounds())+1 {
		t.Fatalf("%d buckets, want %d and +Inf", len(h.Bucket), len(broker.LatencyBounds()))
	}
	if last := h.Bucket[len(h.Bucket)-1]; !math.IsInf(last.GetUpperBound(), 1) || last.GetCumulativeCount() != count {
		t.Errorf("last bucket le=%v holds %d, want +Inf holding %d", last.GetUpperBound(), last.GetCumulativeCount(), count)
	}
}

// Names that differ only in bytes that are not UTF-8, or in a backslash,
// get distinct label values; quotes and newlines survive the round trip.
func TestCollectorLabelValues(t *testing.T) {
	names := []string{"\xff", `\xff`, "a\"b\nc", "<script>"}
	var snap broker.Snapshot
	for _, n := range names {
		snap.Services = append(snap.Services, broker.ServiceSnapshot{Name: n, Mode: "overflow", Workers: 1, Idle: 1})
	}
	fams := scrape(t, handlerOf(fixed{snap: snap}))
	seen := map[string]bool{}
	for _, m := range fams["mdbroker_queue_depth"].Metric {
		seen[m.Label[0].GetValue()] = true
	}
	for _, n := range names {
		if !seen[broker.PrintableName(n)] {
			t.Errorf("no series for %q (label %q); have %v", n, broker.PrintableName(n), seen)
		}
	}
	if len(seen) != len(names) {
		t.Errorf("%d distinct label values for %d names", len(seen), len(names))
	}
	if !seen[`\\xff`] || !seen[`\xff`] || !seen["a\"b\nc"] {
		t.Errorf("label values %v", seen)
	}
}

// However many names clients make up, at most MaxMetricServices services
// and MaxMetricTiers tiers a service get series; the rest are counted.
func TestCollectorBounds(t *testing.T) {
	var snap broker.Snapshot
	for i := range broker.MaxMetricServices + 12 {
		snap.Services = append(snap.Services, broker.ServiceSnapshot{Name: fmt.Sprintf("junk-%05d", i), Queued: 1})
	}
	tiers := make([]broker.TierSnapshot, 40)
	for i := range tiers {
		tiers[i] = broker.TierSnapshot{Level: uint8(i + 1), Workers: 1, Idle: 1}
	}
	snap.Services[0] = broker.ServiceSnapshot{Name: "junk-00000", Mode: "overflow", Workers: 40, Idle: 40, Tiers: tiers}
	fams := scrape(t, handlerOf(fixed{snap: snap}))
	if n := len(fams["mdbroker_queue_depth"].Metric); n != broker.MaxMetricServices {
		t.Errorf("%d services with series, want %d", n, broker.MaxMetricServices)
	}
	if n := len(fams["mdbroker_service_request_duration_seconds"].Metric); n != broker.MaxMetricServices {
		t.Errorf("%d per-service histograms, want %d", n, broker.MaxMetricServices)
	}
	if got := value(sample(t, fams, "mdbroker_services_unlisted")); got != 12 {
		t.Errorf("unlisted = %v, want 12", got)
	}
	if n := len(fams["mdbroker_tier_workers"].Metric); n != broker.MaxMetricTiers*3 {
		t.Errorf("%d tier series, want %d", n, broker.MaxMetricTiers*3)
	}
	sample(t, fams, "mdbroker_queue_depth", "service", "junk-00000") // the one with workers is listed
}

// A broker that does not answer fails the scrape: 500 and the error, no
// stale or partial numbers.
func TestCollectorError(t *testing.T) {
	rec := httptest.NewRecorder()
	handlerOf(fixed{err: broker.ErrNotRunning}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "not running") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "mdbroker_services ") {
		t.Fatal("a failed scrape showed numbers")
	}
}

// An embedder registers the Collector in its own registry beside its own
// metrics; a second registration of the same collector is refused.
func TestCollectorInOwnRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := NewCollector(fixed{snap: broker.Snapshot{}}, WithTimeout(time.Second))
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(NewCollector(fixed{})); err == nil {
		t.Fatal("a second broker collector registered in the same registry")
	}
	fams := scrape(t, Handler(reg))
	if _, ok := fams["go_goroutines"]; ok {
		t.Error("a plain registry got Go collector series it did not ask for")
	}
	if got := value(sample(t, fams, "mdbroker_services")); got != 0 {
		t.Errorf("mdbroker_services = %v", got)
	}
}
