package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/workers"
)

// --sdk measures the SDKs the way the rest of mdbench measures the broker:
// the C clients are clients.Client values with W goroutines each calling
// Request in a loop, the M workers are workers.Worker values (capacity K
// with the extension; K = 1 is a plain MDP/0.1 worker, as in raw mode),
// and the report is the same. Lost counts requests that failed (after the
// client's own retries); stale, malformed and mismatched replies are the
// SDKs' business and not seen here. No progress lines.

// runSDK is run with the SDKs in place of mdbench's own sockets.
func runSDK(ctx context.Context, cfg config, stdout io.Writer) (result, error) {
	cpu := &cpuMeter{pid: cfg.brokerPID}
	wctx, stopWorkers := context.WithCancel(context.Background())
	var wwg sync.WaitGroup
	defer func() { stopWorkers(); wwg.Wait() }()
	for range cfg.workers {
		w, err := workers.New([]string{cfg.broker}, cfg.service, sdkWorkerOptions(cfg)...)
		if err != nil {
			return result{}, fmt.Errorf("mdbench: %w", err)
		}
		wwg.Add(1)
		go func() {
			defer wwg.Done()
			_ = w.Run(wctx, workers.HandlerFunc(func(_ context.Context, req *workers.Request) ([][]byte, error) {
				return req.Body, nil
			}))
		}()
	}
	cs := make([]*clients.Client, cfg.clients)
	for i := range cs {
		c, err := clients.New([]string{cfg.broker}, append([]clients.Option{clients.WithTimeout(cfg.timeout)}, cfg.curve.ClientOptions()...)...)
		if err != nil {
			return result{}, fmt.Errorf("mdbench: %w", err)
		}
		defer c.Close()
		cs[i] = c
	}
	m := sdkMeasure(ctx, cfg, cs, cpu)
	r := result{
		Broker: cfg.broker, Service: cfg.service, Clients: cfg.clients, Window: cfg.window,
		Workers: cfg.workers, Capacity: cfg.capacity, Size: cfg.size, Curve: cfg.curve.Enabled(), Seconds: m.measured.Seconds(),
		Sent: m.sent, Requests: m.hist.n, Lost: m.failed,
		P50: micros(m.hist.quantile(0.50)), P99: micros(m.hist.quantile(0.99)),
		P999: micros(m.hist.quantile(0.999)), Mean: micros(m.hist.mean()), Max: micros(time.Duration(m.hist.max)),
	}
	r.Errors = r.Lost
	if m.measured > 0 {
		r.Rate = float64(m.hist.n) / m.measured.Seconds()
	}
	if m.hist.n > 0 {
		r.SelfCPU = micros(cpu.selfUsed) / float64(m.hist.n)
	}
	if cfg.brokerPID > 0 && cpu.err == nil && m.hist.n > 0 {
		perReq := micros(cpu.brokerUsed) / float64(m.hist.n)
		pct := 100 * cpu.brokerUsed.Seconds() / m.measured.Seconds()
		r.BrokerCPU, r.BrokerCPUPct = &perReq, &pct
	}
	if cpu.err != nil {
		return r, cpu.err
	}
	if err := r.print(stdout, cfg.json); err != nil {
		return r, fmt.Errorf("mdbench: %w", err)
	}
	return r, nil
}

func sdkWorkerOptions(cfg config) []workers.Option {
	opts := []workers.Option{workers.WithHeartbeat(heartbeat), workers.WithLiveness(liveness), workers.WithConcurrency(cfg.capacity)}
	if cfg.capacity == 1 {
		opts = append(opts, workers.WithProtocol(workers.ProtocolV01))
	}
	return append(opts, cfg.curve.WorkerOptions()...)
}

// sdkMeasurement is what the callers saw in the measured window.
type sdkMeasurement struct {
	hist         histogram
	sent, failed uint64
	measured     time.Duration
}

// sdkMeasure runs W callers per client for warmup + duration (or until
// ctx ends) and merges what they measured after the warm-up.
func sdkMeasure(ctx context.Context, cfg config, cs []*clients.Client, cpu *cpuMeter) *sdkMeasurement {
	start := time.Now()
	from, until := start.Add(cfg.warmup), start.Add(cfg.warmup+cfg.duration)
	ctx, cancel := context.WithDeadline(ctx, until)
	defer cancel()
	total := &sdkMeasurement{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	body := make([]byte, cfg.size)
	for _, c := range cs {
		for range cfg.window {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mine := sdkCaller(ctx, c, cfg.service, body, from)
				mu.Lock()
				defer mu.Unlock()
				total.add(mine)
			}()
		}
	}
	waitUntil(ctx, from)
	cpu.start()
	wg.Wait()
	cpu.stop()
	total.measured = time.Since(from)
	if now := time.Now(); now.After(until) {
		total.measured = until.Sub(from)
	}
	return total
}

// sdkCaller calls until ctx ends; what started before from is not counted,
// nor is a call cut short by the end of the run.
func sdkCaller(ctx context.Context, c *clients.Client, service string, body []byte, from time.Time) *sdkMeasurement {
	m := &sdkMeasurement{}
	for ctx.Err() == nil {
		t0 := time.Now()
		m.sent++
		_, err := c.Request(ctx, service, body)
		if t0.Before(from) {
			continue
		}
		switch {
		case err == nil:
			m.hist.record(time.Since(t0))
		case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || endOfRun(ctx, err):
			// Cut short by the end of the run: the client may see the
			// deadline before ctx says so, and the deadline also travels
			// to the broker, which may have answered 504 for it a little
			// before the client's own clock got there.
		default:
			m.failed++
		}
	}
	return m
}

// endOfRunMargin: a broker's 504 this close to the run's end is for the
// run's deadline, which travels to the broker in whole milliseconds.
const endOfRunMargin = 100 * time.Millisecond

// endOfRun says whether err is a timeout that the end of the run caused.
func endOfRun(ctx context.Context, err error) bool {
	dl, ok := ctx.Deadline()
	return ok && errors.Is(err, clients.ErrTimeout) && time.Until(dl) < endOfRunMargin
}

func (m *sdkMeasurement) add(o *sdkMeasurement) {
	m.sent += o.sent
	m.failed += o.failed
	h, x := &m.hist, &o.hist
	if x.n == 0 {
		return
	}
	if h.n == 0 || x.min < h.min {
		h.min = x.min
	}
	h.max = max(h.max, x.max)
	h.n += x.n
	h.sum += x.sum
	for i := range h.counts {
		h.counts[i] += x.counts[i]
	}
}

func waitUntil(ctx context.Context, t time.Time) {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
}
