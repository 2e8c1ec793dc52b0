package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/internal/zsock"
	"github.com/majordomo-go/majordomo/mdp"
)

// TestAgainstOurBroker drives our broker with plain MDP/0.1 workers and
// with extension workers of capacity 4, and checks the JSON line.
func TestAgainstOurBroker(t *testing.T) {
	ep := startBroker(t)
	for _, tc := range []struct {
		name     string
		capacity int
	}{{"plain", 1}, {"capacity", 4}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(ep)
			cfg.capacity = tc.capacity
			cfg.service = "mdbench.test." + tc.name
			cfg.brokerPID = os.Getpid() // the broker runs in this process
			var out bytes.Buffer
			r, err := run(context.Background(), cfg, &out)
			if err != nil {
				t.Fatal(err)
			}
			checkResult(t, r)
			checkJSON(t, out.Bytes())
		})
	}
}

func checkResult(t *testing.T, r result) {
	t.Helper()
	if r.Requests == 0 || r.Rate <= 0 {
		t.Errorf("%d requests answered at %.0f/s, want some", r.Requests, r.Rate)
	}
	if r.Errors != 0 || r.Unanswered != 0 {
		t.Errorf("errors: %+v", r)
	}
	if !(0 < r.P50 && r.P50 <= r.P99 && r.P99 <= r.P999 && r.P999 <= r.Max) {
		t.Errorf("percentiles out of order: p50 %v p99 %v p99.9 %v max %v", r.P50, r.P99, r.P999, r.Max)
	}
	if r.BrokerCPU == nil || *r.BrokerCPU <= 0 {
		t.Errorf("broker CPU per request not measured: %v", r.BrokerCPU)
	}
}

func checkJSON(t *testing.T, line []byte) {
	t.Helper()
	if bytes.Count(line, []byte("\n")) != 1 {
		t.Errorf("want one JSON line, got %q", line)
	}
	var doc map[string]any
	if err := json.Unmarshal(line, &doc); err != nil {
		t.Fatalf("JSON output: %v: %s", err, line)
	}
	for _, k := range []string{"req_per_s", "requests", "errors", "p50_us", "p99_us", "p999_us", "broker_cpu_us_per_req", "clients", "window", "workers", "capacity", "size"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("JSON has no %q: %s", k, line)
		}
	}
}

// TestExternalWorkers runs the workers of one run as the external workers
// of another (--workers 0), through our broker.
func TestExternalWorkers(t *testing.T) {
	ep := startBroker(t)
	cfg := testConfig(ep)
	cfg.service = "mdbench.test.external"
	zctx, err := zsock.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	defer zctx.Term()
	ws, err := startWorkers(zctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	stop, done := make(chan struct{}), make(chan workerStats, 1)
	go func() { done <- ws.run(stop) }()
	cfg.workers = 0
	r, err := run(context.Background(), cfg, &bytes.Buffer{})
	close(stop)
	wstats := <-done
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests == 0 || r.Errors != 0 {
		t.Errorf("%d requests, %d errors", r.Requests, r.Errors)
	}
	if wstats.served < r.Requests {
		t.Errorf("external workers served %d, the clients counted %d answers", wstats.served, r.Requests)
	}
}

// TestCountsWhatGoesWrong points mdbench at brokers that answer nothing
// or answer wrongly: the run ends on time and counts each failure.
func TestCountsWhatGoesWrong(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer func(mdp.Message) [][]byte
		check  func(result) bool
	}{
		{"silent", func(mdp.Message) [][]byte { return nil },
			func(r result) bool { return r.Lost > 0 && r.Requests == 0 }},
		{"malformed", func(mdp.Message) [][]byte { return [][]byte{{}, []byte("MDPC01")} },
			func(r result) bool { return r.Malformed > 0 && r.Requests == 0 }},
		{"wrong body", func(m mdp.Message) [][]byte {
			return [][]byte{{}, []byte(mdp.HeaderClient01), []byte(m.Service), []byte("not the body")}
		}, func(r result) bool { return r.Mismatched > 0 && r.Requests == 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(fakeBroker(t, tc.answer))
			cfg.workers = 0
			cfg.warmup, cfg.duration, cfg.timeout = 0, 300*time.Millisecond, 100*time.Millisecond
			start := time.Now()
			r, err := run(context.Background(), cfg, &bytes.Buffer{})
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(r) || r.Errors == 0 {
				t.Errorf("not counted: %+v", r)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("run took %v", d)
			}
		})
	}
}

// TestInterrupted: cancelling the context ends the run early; before the
// measured window it is an error.
func TestInterrupted(t *testing.T) {
	ep := startBroker(t)
	cfg := testConfig(ep)
	cfg.warmup, cfg.duration = time.Hour, time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := run(ctx, cfg, &bytes.Buffer{}); err == nil {
		t.Error("run interrupted during warm-up: no error")
	}
	cfg.warmup = 0
	ctx, cancel = context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var out bytes.Buffer
	cfg.json = false
	r, err := run(ctx, cfg, &out)
	if err != nil {
		t.Fatal(err)
	}
	if r.Seconds <= 0 || r.Seconds > 60 || r.Errors != 0 {
		t.Errorf("interrupted run: %+v", r)
	}
	if !bytes.Contains(out.Bytes(), []byte("req/s")) {
		t.Errorf("text output: %s", out.Bytes())
	}
}
