package kv

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker/brokertest"
)

// BenchmarkStore measures a 3-node store (in this process, behind an
// in-process broker, every write fsynced by the Raft log and the state
// machine) at concurrency 1 and 64: writes (put), stale reads on any node,
// reads pinned to a follower, and linearizable reads. It reports ops/s and
// the p50 and p99 latency.
//
//	go test -run '^$' -bench Store -benchtime 2000x ./kv/
func BenchmarkStore(b *testing.B) {
	c := startClusterTB(b, 3)
	benchKinds(b, c)
}

// BenchmarkStoreProcesses is BenchmarkStore with each node an mdkv process
// (the broker and the client stay in the benchmark's process).
//
//	go test -run '^$' -bench StoreProcesses -benchtime 2000x ./kv/
func BenchmarkStoreProcesses(b *testing.B) {
	pc := startProcCluster(b, 3)
	c := &cluster{t: b, broker: pc.broker, client: pc.client, kv: pc.kv}
	lead := pc.leader()
	for _, id := range pc.ids {
		if id != lead {
			c.followerSvc = "kv.node." + id
			break
		}
	}
	benchKinds(b, c)
}

func benchKinds(b *testing.B, c *cluster) {
	for _, conc := range []int{1, 64} {
		for _, kind := range []string{"write", "read-any", "read-follower", "read-linearizable"} {
			b.Run(fmt.Sprintf("%s/c%d", kind, conc), func(b *testing.B) { benchStore(b, c, kind, conc) })
		}
	}
}

func benchStore(b *testing.B, c *cluster, kind string, conc int) {
	ctx := context.Background()
	value := make([]byte, 100)
	w, err := c.kv.Put(ctx, []byte("bench/0"), value)
	if err != nil {
		b.Fatal(err)
	}
	// Stale reads of bench/0 must find it on every node.
	brokertest.WaitFor(b, "every node applied bench/0", func() bool {
		for _, n := range c.nodes {
			if n != nil && n.Applied() < w.Index {
				return false
			}
		}
		return true
	})
	follower := c.followerSvc
	if follower == "" {
		follower = "kv.node." + c.nodes[(c.leader()+1)%len(c.nodes)].ID()
	}
	getFollower := (&Request{Op: OpGet, Key: []byte("bench/0")}).Frames()
	op := func(i int64) error {
		key := []byte(fmt.Sprintf("bench/%d", i%1000))
		var err error
		switch kind {
		case "write":
			_, err = c.kv.Put(ctx, key, value)
		case "read-any":
			_, err = c.kv.Get(ctx, []byte("bench/0"))
		case "read-follower":
			_, err = c.client.Request(ctx, follower, getFollower...)
		default:
			_, err = c.kv.Get(ctx, []byte("bench/0"), Linearizable())
		}
		return err
	}
	lat := make([][]time.Duration, conc)
	var next atomic.Int64
	var failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for g := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				t0 := time.Now()
				if err := op(i); err != nil {
					failed.Add(1)
				}
				lat[g] = append(lat[g], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d operations failed", failed.Load())
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkReaders measures stale reads (STORE.read, concurrency 64) on
// stores of 1, 3 and 5 nodes, every node a reader; all in this process,
// so the nodes share the machine's cores with the broker and the client.
//
//	go test -run '^$' -bench Readers -benchtime 20000x ./kv/
func BenchmarkReaders(b *testing.B) {
	for _, readers := range []int{1, 3, 5} {
		b.Run(fmt.Sprintf("readers=%d", readers), func(b *testing.B) {
			c := startClusterTB(b, readers)
			benchStore(b, c, "read-any", 64)
		})
	}
}
