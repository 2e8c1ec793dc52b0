package clients

import (
	"context"
	"slices"
	"testing"
	"time"
)

// benchClient: the broker, echo workers (the raw test worker), and a Client,
// over loopback TCP.
func benchClient(b *testing.B, workers int) *Client {
	br := startRealBroker(b, "")
	for range workers {
		startWorker(b, br.Endpoint(), "echo", echo)
	}
	c, err := New([]string{br.Endpoint()}, WithTimeout(10*time.Second))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	if _, err := c.Request(context.Background(), "echo"); err != nil { // workers ready
		b.Fatal(err)
	}
	return c
}

// One request at a time: the round trip client → broker → worker and back.
func BenchmarkRequest(b *testing.B) {
	c := benchClient(b, 1)
	body := make([]byte, 64)
	ctx := context.Background()
	b.ResetTimer()
	lat := make([]time.Duration, 0, b.N)
	for range b.N {
		t0 := time.Now()
		if _, err := c.Request(ctx, "echo", body); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
}

// Many goroutines share the Client: its throughput through one socket.
func BenchmarkRequestParallel(b *testing.B) {
	c := benchClient(b, 4)
	body := make([]byte, 64)
	ctx := context.Background()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Request(ctx, "echo", body); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
