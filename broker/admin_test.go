package broker

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
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

	code, body := get(t, h, "/api/status")
	if code != http.StatusOK {
		t.Fatalf("/api/status: %d %s", code, body)
	}
	st := decodeStatus(t, body)
	rows := map[string]StatusService{}
	for _, row := range st.Services {
		rows[row.Name] = row
	}
	echo, queued := rows["echo"], rows["queued"]
	if echo.Answered != 1 || echo.Idle != 1 || echo.Busy != 0 || echo.Workers != 1 || echo.Mode != "overflow" ||
		echo.P50Ms <= 0 || echo.P99Ms < echo.P50Ms || echo.RatePerS <= 0 || echo.Href != "service?name=echo" {
		t.Errorf("echo row %+v", echo)
	}
	if queued.Queued != 1 || queued.QueuedBytes <= 0 || queued.Workers != 0 {
		t.Errorf("queued row %+v", queued)
	}
	if st.Counters.Requests != 3 || st.Counters.Rejected != 1 || st.Counters.Malformed != 1 || st.Queued != 1 ||
		st.Draining || st.Version != Version || st.Build == "" || st.UptimeS <= 0 || st.WindowS != 60 {
		t.Errorf("status head %+v", st)
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
	for _, path := range []string{"/livez", "/readyz", "/api/status", "/", "/service?name=x"} {
		if code, _ := get(t, h, path); code != http.StatusServiceUnavailable {
			t.Errorf("%s after Run: %d, want 503", path, code)
		}
	}
}

// Per-service series are bounded however many service names clients make
// up: services with workers first, then the longest queues.
func TestListedServicesBound(t *testing.T) {
	var snap Snapshot
	h := newHistogram()
	snap.Latency = h.snapshot()
	for i := 0; i < MaxMetricServices+10; i++ {
		snap.Services = append(snap.Services, ServiceSnapshot{Name: fmt.Sprintf("junk-%05d", i), Queued: 1})
	}
	snap.Services = append(snap.Services, ServiceSnapshot{Name: "served", Workers: 1},
		ServiceSnapshot{Name: "zz-long-queue", Queued: 50})
	listed := snap.ListedServices()
	if len(listed) != MaxMetricServices {
		t.Errorf("%d services listed, want %d", len(listed), MaxMetricServices)
	}
	names := map[string]bool{}
	for i, svc := range listed {
		names[svc.Name] = true
		if i > 0 && listed[i-1].Name >= svc.Name {
			t.Fatalf("listed out of name order at %d: %q then %q", i, listed[i-1].Name, svc.Name)
		}
	}
	for _, name := range []string{"served", "zz-long-queue"} {
		if !names[name] {
			t.Errorf("%s left out", name)
		}
	}
}
