package brokermetrics

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
)

// Over real sockets: a worker that answers "ok" and refuses "bad" with
// 422; the scrape counts the answer, the 4xx, the per-service histogram,
// and the broker-wide counters, parsed by the Prometheus text parser.
func TestLiveBrokerMetrics(t *testing.T) {
	b := brokertest.Start(t, func(cfg *broker.Config) { cfg.HeartbeatInterval = 50 * time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	w, err := workers.New([]string{b.Endpoint}, "calc", workers.WithHeartbeat(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		w.Run(ctx, workers.HandlerFunc(func(_ context.Context, req *workers.Request) ([][]byte, error) {
			if string(req.Body[0]) == "bad" {
				return nil, workers.Errorf(422, "bad input")
			}
			return req.Body, nil
		}))
	}()
	brokertest.WaitFor(t, "calc registered", func() bool { return b.Workers("calc") == 1 })
	c, err := clients.New([]string{b.Endpoint}, clients.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rctx, rcancel := context.WithTimeout(ctx, brokertest.Timeout)
	defer rcancel()
	if _, err := c.Request(rctx, "calc", []byte("ok")); err != nil {
		t.Fatal(err)
	}
	_, err = c.Request(rctx, "calc", []byte("bad"))
	var ce *clients.ServiceError
	if !errors.As(err, &ce) || ce.Status != mdp.Status(422) {
		t.Fatalf("bad request: %v, want a 422", err)
	}

	fams := scrape(t, Handler(NewRegistry(b.Broker)))
	for _, c := range []struct {
		outcome string
		want    float64
	}{{"answered", 1}, {"worker_error_4xx", 1}, {"worker_error_5xx", 0}} {
		if got := value(sample(t, fams, "mdbroker_requests_total", "service", "calc", "outcome", c.outcome)); got != c.want {
			t.Errorf("calc %s = %v, want %v", c.outcome, got, c.want)
		}
	}
	if h := sample(t, fams, "mdbroker_service_request_duration_seconds", "service", "calc").GetHistogram(); h.GetSampleCount() != 1 || h.GetSampleSum() <= 0 {
		t.Errorf("calc latency histogram %v, want one observation", h)
	}
	if got := value(sample(t, fams, "mdbroker_workers_registered_total")); got != 1 {
		t.Errorf("workers registered = %v", got)
	}
	if got := value(sample(t, fams, "mdbroker_start_time_seconds")); got < float64(time.Now().Add(-time.Hour).Unix()) {
		t.Errorf("start time %v", got)
	}
}
