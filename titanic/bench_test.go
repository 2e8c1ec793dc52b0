package titanic

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
)

// Throughput of durable Puts from many goroutines, with group commit (one
// fsync per batch) and without (one per request). Each commit is two
// fdatasyncs in bbolt (data pages, then the meta page).
func BenchmarkStorePut(b *testing.B) {
	for _, bc := range []struct {
		name string
		o    StoreOptions
	}{{"group", StoreOptions{}}, {"nogroup", StoreOptions{NoGroupCommit: true}}} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := OpenStore(b.TempDir(), bc.o)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			body := [][]byte{make([]byte, 100)}
			b.SetParallelism(32)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					e := testEntry("svc")
					e.Body = body
					if err := s.Put(e); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportStore(b, s.Stats(), start)
		})
	}
}

func reportStore(b *testing.B, st StoreStats, start time.Time) {
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	b.ReportMetric(float64(st.Commits)/float64(b.N), "commits/op")
	if st.Commits > 0 {
		b.ReportMetric(float64(st.SyncTotal.Microseconds())/float64(st.Commits), "µs/commit")
	}
}

// titanic.request end to end (client SDK → broker → Titanic's worker →
// store → 200) from 64 concurrent callers.
func BenchmarkTitanicRequest(b *testing.B) {
	for _, bc := range []struct {
		name    string
		noGroup bool
	}{{"group", false}, {"nogroup", true}} {
		b.Run(bc.name, func(b *testing.B) {
			br := brokertest.Start(b, func(c *broker.Config) { c.Logger = zap.NewNop() }).Endpoint
			srv, err := New(Config{Broker: br, Dir: b.TempDir(), NoGroupCommit: bc.noGroup, Logger: zap.NewNop()})
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- srv.Run(ctx) }()
			defer func() { cancel(); <-done }()
			c, err := clients.New([]string{br}, clients.WithTimeout(10*time.Second))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Request(context.Background(), mdp.TitanicRequest, []byte("nobody")); err != nil {
				b.Fatal(err) // Titanic is up
			}
			b.SetParallelism(32)
			b.ResetTimer()
			start := time.Now()
			before := srv.Stats().Store
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r, err := c.Request(context.Background(), mdp.TitanicRequest, []byte("nobody"), make([]byte, 100))
					if err != nil || string(r[0]) != "200" {
						b.Errorf("%q, %v", r, err)
						return
					}
				}
			})
			st := srv.Stats().Store
			st.Commits -= before.Commits
			st.SyncTotal -= before.SyncTotal
			reportStore(b, st, start)
		})
	}
}

// From titanic.request to the reply stored: b.N requests submitted by 32
// callers to an echo service (worker concurrency 16), timed until Titanic
// has stored every reply.
func BenchmarkTitanicRoundTrip(b *testing.B) {
	br := brokertest.Start(b, func(c *broker.Config) { c.Logger = zap.NewNop() })
	srv, err := New(Config{Broker: br.Endpoint, Dir: b.TempDir(), Logger: zap.NewNop()})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- srv.Run(ctx) }()
	w, err := workers.New([]string{br.Endpoint}, "echo", workers.WithConcurrency(16))
	if err != nil {
		b.Fatal(err)
	}
	go func() { done <- w.Run(ctx, workers.HandlerFunc(echo)) }()
	defer func() { cancel(); <-done; <-done }()
	c, err := clients.New([]string{br.Endpoint}, clients.WithTimeout(10*time.Second))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	brokertest.WaitFor(b, "echo", func() bool { return br.Workers("echo") == 1 && br.Workers(mdp.TitanicRequest) == 1 })
	b.SetParallelism(16)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Request(context.Background(), mdp.TitanicRequest, []byte("echo"), make([]byte, 100)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	brokertest.WaitFor(b, "all replied", func() bool { return srv.Stats().Replied >= uint64(b.N) })
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	st := srv.Stats().Store
	b.ReportMetric(float64(st.Commits)/float64(b.N), "commits/op")
}
