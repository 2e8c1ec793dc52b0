package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// result is what one run measured; its JSON form is the --json line.
type result struct {
	Broker   string  `json:"broker"`
	Service  string  `json:"service"`
	Clients  int     `json:"clients"`
	Window   int     `json:"window"`
	Workers  int     `json:"workers"`
	Capacity int     `json:"capacity"`
	Size     int     `json:"size"`
	Curve    bool    `json:"curve"`   // the connections were CURVE (--server-key, --key)
	Seconds  float64 `json:"seconds"` // the measured window

	Sent     uint64  `json:"sent"`     // requests sent over the whole run, warm-up and retries included
	Requests uint64  `json:"requests"` // answered in the measured window
	Rate     float64 `json:"req_per_s"`
	P50      float64 `json:"p50_us"`
	P99      float64 `json:"p99_us"`
	P999     float64 `json:"p999_us"`
	Mean     float64 `json:"mean_us"`
	Max      float64 `json:"max_us"`

	// Errors sums every problem below; a healthy run has 0.
	Errors           uint64 `json:"errors"`
	Lost             uint64 `json:"lost"`
	Stale            uint64 `json:"stale"`
	Malformed        uint64 `json:"malformed"`
	Mismatched       uint64 `json:"mismatched"`
	SendErrors       uint64 `json:"send_errors"`
	WorkerMalformed  uint64 `json:"worker_malformed"`
	WorkerReconnects uint64 `json:"worker_reconnects"`
	Unanswered       uint64 `json:"unanswered"` // outstanding when interrupted (not an error)

	// BrokerCPU is the broker's CPU µs per answered request (null without
	// --broker-pid); BrokerCPUPct its CPU use in % of one core. SelfCPU is
	// mdbench's own (clients and workers together).
	BrokerCPU    *float64 `json:"broker_cpu_us_per_req"`
	BrokerCPUPct *float64 `json:"broker_cpu_pct"`
	SelfCPU      float64  `json:"mdbench_cpu_us_per_req"`
}

func newResult(cfg config, measured time.Duration, cs *clientSet, ws workerStats, cpu *cpuMeter) result {
	st := cs.stats
	r := result{
		Broker: cfg.broker, Service: cfg.service, Clients: cfg.clients, Window: cfg.window,
		Workers: cfg.workers, Capacity: cfg.capacity, Size: cfg.size, Curve: cfg.curve.Enabled(), Seconds: measured.Seconds(),
		Sent: st.sent, Requests: st.answered,
		P50: micros(cs.hist.quantile(0.50)), P99: micros(cs.hist.quantile(0.99)),
		P999: micros(cs.hist.quantile(0.999)), Mean: micros(cs.hist.mean()), Max: micros(time.Duration(cs.hist.max)),
		Lost: st.lost, Stale: st.stale, Malformed: st.malformed, Mismatched: st.mismatched,
		SendErrors: st.sendErrors + ws.sendErrors, WorkerMalformed: ws.malformed, WorkerReconnects: ws.reconnects,
		Unanswered: st.unanswered,
	}
	r.Errors = r.Lost + r.Stale + r.Malformed + r.Mismatched + r.SendErrors + r.WorkerMalformed + r.WorkerReconnects
	if measured > 0 {
		r.Rate = float64(st.answered) / measured.Seconds()
	}
	if st.answered > 0 {
		r.SelfCPU = micros(cpu.selfUsed) / float64(st.answered)
	}
	if cfg.brokerPID > 0 && cpu.err == nil && st.answered > 0 {
		perReq := micros(cpu.brokerUsed) / float64(st.answered)
		pct := 100 * cpu.brokerUsed.Seconds() / measured.Seconds()
		r.BrokerCPU, r.BrokerCPUPct = &perReq, &pct
	}
	return r
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// print writes r as one JSON line or as text.
func (r result) print(w io.Writer, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(r)
	}
	workers := fmt.Sprintf("%d plain MDP/0.1 workers", r.Workers)
	switch {
	case r.Workers == 0:
		workers = "external workers"
	case r.Capacity > 1:
		workers = fmt.Sprintf("%d extension workers of capacity %d", r.Workers, r.Capacity)
	}
	if r.Curve {
		workers += ", CURVE"
	}
	_, err := fmt.Fprintf(w, `mdbench %s service %q: %d clients × window %d, %s, %d-byte bodies
requests  %d in %.2fs = %.0f req/s
latency   p50 %.0fµs  p99 %.0fµs  p99.9 %.0fµs  mean %.0fµs  max %.0fµs
errors    %d (lost %d, stale %d, malformed %d, mismatched %d, send %d, worker malformed %d, worker reconnects %d)
cpu       %s; mdbench %.2fµs/req
`, r.Broker, r.Service, r.Clients, r.Window, workers, r.Size,
		r.Requests, r.Seconds, r.Rate,
		r.P50, r.P99, r.P999, r.Mean, r.Max,
		r.Errors, r.Lost, r.Stale, r.Malformed, r.Mismatched, r.SendErrors, r.WorkerMalformed, r.WorkerReconnects,
		r.brokerCPUText(), r.SelfCPU)
	return err
}

func (r result) brokerCPUText() string {
	if r.BrokerCPU == nil {
		return "broker not measured (--broker-pid)"
	}
	return fmt.Sprintf("broker %.2fµs/req (%.0f%% of a core)", *r.BrokerCPU, *r.BrokerCPUPct)
}
