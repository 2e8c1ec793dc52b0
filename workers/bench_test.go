package workers

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/clients"
)

// BenchmarkEcho measures a request's round trip, client SDK → our broker →
// worker SDK and back, over loopback TCP: sequentially, and with parallel
// callers against a worker of capacity 8.
func BenchmarkEcho(b *testing.B) {
	cfg := broker.DefaultConfig()
	cfg.Endpoints = []string{"tcp://127.0.0.1:*"}
	cfg.Logger = zap.NewNop()
	br, err := broker.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	brokerDone := make(chan error, 1)
	go func() { brokerDone <- br.Run(ctx) }()
	defer func() { cancel(); <-brokerDone }()
	ep := br.Endpoints()[0]

	w, err := New([]string{ep}, "echo", WithConcurrency(8))
	if err != nil {
		b.Fatal(err)
	}
	workerDone := make(chan error, 1)
	go func() { workerDone <- w.Run(ctx, HandlerFunc(echo)) }()
	defer func() { _ = w.Shutdown(context.Background()); <-workerDone }()

	c, err := clients.New([]string{ep})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	body := make([]byte, 64)
	if _, err := c.Request(ctx, "echo", body); err != nil {
		b.Fatal(err)
	}
	b.Run("sequential", func(b *testing.B) {
		b.ReportAllocs()
		lat := make([]time.Duration, 0, 1<<16)
		for b.Loop() {
			t0 := time.Now()
			if _, err := c.Request(ctx, "echo", body); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		reportP50(b, lat)
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Request(ctx, "echo", body); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// reportP50 adds the median round trip to the benchmark's report: the mean
// (ns/op) hides how a loaded machine's stalls skew the tail.
func reportP50(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
}

// BenchmarkEcho16x16 is mdbench's heavy shape through the SDKs: 16
// Clients with 16 requests in flight each, 4 workers of capacity 16, one
// broker, all in this process. It reports requests per second.
func BenchmarkEcho16x16(b *testing.B) {
	cfg := broker.DefaultConfig()
	cfg.Endpoints = []string{"tcp://127.0.0.1:*"}
	cfg.Logger = zap.NewNop()
	br, err := broker.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	brokerDone := make(chan error, 1)
	go func() { brokerDone <- br.Run(ctx) }()
	defer func() { cancel(); <-brokerDone }()
	ep := br.Endpoints()[0]
	for range 4 {
		w, err := New([]string{ep}, "echo", WithConcurrency(16))
		if err != nil {
			b.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx, HandlerFunc(echo)) }()
		defer func() { _ = w.Shutdown(context.Background()); <-done }()
	}
	cs := make([]*clients.Client, 16)
	for i := range cs {
		c, err := clients.New([]string{ep})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		cs[i] = c
	}
	body := make([]byte, 64)
	if _, err := cs[0].Request(ctx, "echo", body); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for i := range 16 * 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if _, err := cs[i%16].Request(ctx, "echo", body); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}
