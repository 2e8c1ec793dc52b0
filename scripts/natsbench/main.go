// Command natsbench measures request/reply round trips through nats-server
// with nats.go, shaped as mdbench measures majordomo: C client connections
// with F requests in flight each, W responder connections (a queue group)
// echoing a body of S bytes. It prints one JSON line: throughput and
// latency percentiles. It lives in its own module so that nats never
// enters majordomo's go.mod.
//
//	go install github.com/nats-io/nats-server/v2@latest
//	nats-server -a 127.0.0.1 -p 4333 &
//	go run . -url nats://127.0.0.1:4333 -clients 1 -inflight 1 -workers 1 -duration 10s
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

type report struct {
	Clients, InFlight, Workers, Size int
	Seconds                          float64
	Requests                         int
	Errors                           int
	PerSecond                        float64
	P50us, P90us, P99us              float64
}

func main() {
	url := flag.String("url", nats.DefaultURL, "nats-server URL")
	clients := flag.Int("clients", 1, "client connections")
	inflight := flag.Int("inflight", 1, "requests in flight per client connection")
	workers := flag.Int("workers", 1, "responder connections (one queue group)")
	size := flag.Int("size", 64, "request body bytes")
	duration := flag.Duration("duration", 10*time.Second, "how long to measure")
	warmup := flag.Duration("warmup", time.Second, "how long to run before measuring")
	flag.Parse()
	r, err := run(*url, *clients, *inflight, *workers, *size, *duration, *warmup)
	if err != nil {
		fmt.Fprintln(os.Stderr, "natsbench:", err)
		os.Exit(1)
	}
	_ = json.NewEncoder(os.Stdout).Encode(r)
}

func run(url string, clients, inflight, workers, size int, duration, warmup time.Duration) (*report, error) {
	for range workers {
		nc, err := nats.Connect(url)
		if err != nil {
			return nil, err
		}
		defer nc.Close()
		if _, err := nc.QueueSubscribe("echo", "echo", func(m *nats.Msg) { _ = m.Respond(m.Data) }); err != nil {
			return nil, err
		}
		if err := nc.Flush(); err != nil {
			return nil, err
		}
	}
	body := make([]byte, size)
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	start := time.Now()
	measureFrom := start.Add(warmup)
	end := measureFrom.Add(duration)
	var wg sync.WaitGroup
	for range clients {
		nc, err := nats.Connect(url)
		if err != nil {
			return nil, err
		}
		defer nc.Close()
		for range inflight {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var mine []time.Duration
				bad := 0
				for {
					t0 := time.Now()
					if t0.After(end) {
						break
					}
					_, err := nc.Request("echo", body, 5*time.Second)
					if t0.Before(measureFrom) {
						continue
					}
					if err != nil {
						bad++
						continue
					}
					mine = append(mine, time.Since(t0))
				}
				mu.Lock()
				lat = append(lat, mine...)
				errs += bad
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[int(p*float64(len(lat)-1))].Nanoseconds()) / 1e3
	}
	return &report{
		Clients: clients, InFlight: inflight, Workers: workers, Size: size,
		Seconds: duration.Seconds(), Requests: len(lat), Errors: errs,
		PerSecond: float64(len(lat)) / duration.Seconds(),
		P50us:     pct(0.50), P90us: pct(0.90), P99us: pct(0.99),
	}, nil
}
