package workers

import (
	"context"
	"slices"
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

	w, err := New(ep, "echo", WithConcurrency(8))
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
