package broker

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

// parseMetrics reads the exposition text into "name{labels}" → value and
// checks every line is a comment or a well-formed sample.
func parseMetrics(t *testing.T, text string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "# HELP ") || strings.HasPrefix(line, "# TYPE ") {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 1 {
			t.Fatalf("bad sample line %q", line)
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			t.Fatalf("bad value in %q: %v", line, err)
		}
		out[line[:sp]] = v
	}
	return out
}

// The admin endpoints report what the broker did: requests by service and
// outcome, latency, queue depth, workers by state, malformed messages.
func TestAdminMetrics(t *testing.T) {
	// Slow heartbeats: the raw worker below never answers them.
	tb := startBroker(t, func(cfg *Config) { cfg.HeartbeatInterval = time.Second })
	h := AdminHandler(tb.Broker)
	w := tb.readyWorker(t, ready(mdp.V01, "echo"))
	c := dial(t, tb.ep, zmq.DEALER)

	c.send(plainRequest(mdp.V02, "echo", "hi"))
	w.send(replyTo(w.expect(mdp.WorkerRequest), "hi"))
	c.expect(mdp.ClientFinal)
	c.send(requestExt(uuid.New(), "nobody", time.Second, mdp.FlagFailFast, "x"))
	c.expect(mdp.ClientError)
	c.send(plainRequest(mdp.V02, "queued", "waits"))
	c.raw([]byte("garbage"))
	waitFor(t, "malformed counted", func() bool { return tb.snapshot(t).Counters.Malformed == 1 })

	code, body := get(t, h, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	m := parseMetrics(t, body)
	for series, want := range map[string]float64{
		`mdbroker_requests_total{service="echo",outcome="answered"}`: 1,
		`mdbroker_rejected_requests_total`:                           1,
		`mdbroker_request_duration_seconds_count`:                    1,
		`mdbroker_request_duration_seconds_bucket{le="+Inf"}`:        1,
		`mdbroker_queue_depth{service="queued"}`:                     1,
		`mdbroker_workers{service="echo",state="idle"}`:              1,
		`mdbroker_workers{service="echo",state="busy"}`:              0,
		`mdbroker_malformed_messages_total`:                          1,
		`mdbroker_client_requests_total`:                             3,
		`mdbroker_draining`:                                          0,
		`mdbroker_build_info{version="` + Version + `"}`:             1,
	} {
		if got, ok := m[series]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	if !strings.Contains(body, "# TYPE mdbroker_request_duration_seconds histogram") {
		t.Error("latency histogram has no TYPE line")
	}

	health, err := tb.Health(t.Context())
	if err != nil || health != (Health{Services: 2, Workers: 1, Queued: 1}) {
		t.Errorf("Health = %+v, %v; want 2 services, 1 worker, 1 queued", health, err)
	}
	for _, path := range []string{"/livez", "/readyz"} {
		if code, body := get(t, h, path); code != http.StatusOK {
			t.Errorf("%s: %d %s", path, code, body)
		}
	}
	if code, _ := get(t, h, "/nothing"); code != http.StatusNotFound {
		t.Errorf("/nothing: %d, want 404", code)
	}
}

// Before Run and after it, the broker is neither live nor ready.
func TestAdminNotRunning(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Endpoints = []string{"tcp://127.0.0.1:*"}
	cfg.DrainTimeout = 10 * time.Millisecond
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := AdminHandler(b)
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest(http.MethodGet, "/readyz", nil).WithContext(ctx)
	cancel() // the loop has not started: the request gives up at once
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz before Run: %d", rec.Code)
	}

	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(runCtx) }()
	waitFor(t, "ready", func() bool { code, _ := get(t, h, "/readyz"); return code == http.StatusOK })
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, path := range []string{"/livez", "/readyz", "/metrics"} {
		if code, _ := get(t, h, path); code != http.StatusServiceUnavailable {
			t.Errorf("%s after Run: %d, want 503", path, code)
		}
	}
}

// Label values are escaped and made valid UTF-8, whatever the service name,
// and names that differ in invalid bytes stay apart.
func TestPrometheusLabelEscaping(t *testing.T) {
	h := newHistogram()
	snap := Snapshot{Services: []ServiceSnapshot{{Name: "a\"b\\c\nd\xff", Queued: 2}, {Name: "a\"b\\c\nd\xfe"}},
		Latency: h.snapshot()}
	var b strings.Builder
	if err := snap.WritePrometheus(&b); err != nil {
		t.Fatal(err)
	}
	// The name's backslash is doubled (so that text \xff and the byte 0xff
	// differ), then the exposition format escapes every backslash again.
	want := `mdbroker_queue_depth{service="a\"b\\\\c\nd\\xff"} 2`
	if !strings.Contains(b.String(), want+"\n") {
		t.Fatalf("no line %q in\n%s", want, b.String())
	}
	if err := snap.WritePrometheus(failingWriter{}); err == nil {
		t.Fatal("a failing writer gave no error")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

// The latency histogram is cumulative, its +Inf bucket equals its count, and
// every family has its TYPE line before its samples.
func TestPrometheusHistogram(t *testing.T) {
	h := newHistogram()
	for _, d := range []time.Duration{50 * time.Microsecond, 50 * time.Microsecond, 3 * time.Millisecond, 20 * time.Second} {
		h.observe(d)
	}
	var b strings.Builder
	if err := (Snapshot{Latency: h.snapshot()}).WritePrometheus(&b); err != nil {
		t.Fatal(err)
	}
	m := parseMetrics(t, b.String())
	for series, want := range map[string]float64{
		`mdbroker_request_duration_seconds_bucket{le="0.0001"}`: 2,
		`mdbroker_request_duration_seconds_bucket{le="0.0025"}`: 2,
		`mdbroker_request_duration_seconds_bucket{le="0.005"}`:  3,
		`mdbroker_request_duration_seconds_bucket{le="10"}`:     3,
		`mdbroker_request_duration_seconds_bucket{le="+Inf"}`:   4,
		`mdbroker_request_duration_seconds_count`:               4,
	} {
		if got := m[series]; got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	typed := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name := strings.Fields(rest)[0]
			if typed[name] {
				t.Errorf("two TYPE lines for %s", name)
			}
			typed[name] = true
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		name := strings.FieldsFunc(line, func(r rune) bool { return r == '{' || r == ' ' })[0]
		family := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
		if !typed[name] && !typed[family] {
			t.Errorf("sample %q before its TYPE line", line)
		}
	}
}

// Per-service series are bounded however many service names clients make
// up: services with workers first, then the longest queues.
func TestPrometheusServiceBound(t *testing.T) {
	var snap Snapshot
	h := newHistogram()
	snap.Latency = h.snapshot()
	for i := 0; i < MaxMetricServices+10; i++ {
		snap.Services = append(snap.Services, ServiceSnapshot{Name: fmt.Sprintf("junk-%05d", i), Queued: 1})
	}
	snap.Services = append(snap.Services, ServiceSnapshot{Name: "served", Workers: 1},
		ServiceSnapshot{Name: "zz-long-queue", Queued: 50})
	var b strings.Builder
	if err := snap.WritePrometheus(&b); err != nil {
		t.Fatal(err)
	}
	m := parseMetrics(t, b.String())
	depths := 0
	for series := range m {
		if strings.HasPrefix(series, "mdbroker_queue_depth{") {
			depths++
		}
	}
	if depths != MaxMetricServices {
		t.Errorf("%d services listed, want %d", depths, MaxMetricServices)
	}
	for _, series := range []string{`mdbroker_queue_depth{service="served"}`, `mdbroker_queue_depth{service="zz-long-queue"}`} {
		if _, ok := m[series]; !ok {
			t.Errorf("%s left out", series)
		}
	}
	if got := m["mdbroker_services_unlisted"]; got != 12 {
		t.Errorf("unlisted = %v, want 12", got)
	}
}
