package broker

import (
	"fmt"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/mdp"
)

// BenchmarkDispatch measures the core's cost for one request's round trip
// (client REQUEST in, worker REQUEST out, worker REPLY in, client REPLY
// out) with n services of one worker each. The cost must not grow with n.
// "spread" sends each request to the next service in turn, so memory
// caches grow cold as n grows; "hot" sends all traffic to one service while
// the others sit registered, isolating the algorithm from cache effects.
func BenchmarkDispatch(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("spread/workers=%d", n), func(b *testing.B) { benchDispatch(b, n, n) })
		b.Run(fmt.Sprintf("hot/workers=%d", n), func(b *testing.B) { benchDispatch(b, n, 1) })
	}
}

func benchDispatch(b *testing.B, n, active int) {
	cfg := DefaultConfig().withDefaults()
	now := time.Now()
	c := newCore(cfg, now)
	requests := make([][][]byte, n)
	replies := make([][][]byte, n)
	client := []byte("client-identity")
	body := [][]byte{make([]byte, 64)}
	for i := 0; i < n; i++ {
		service := fmt.Sprintf("service-%d", i)
		worker := []byte(fmt.Sprintf("worker-%d", i))
		ready := mdp.Message{Version: mdp.V01, Kind: mdp.WorkerReady, Service: service}
		f, _ := ready.AppendFrames([][]byte{worker})
		c.handle(now, f)
		req := mdp.Message{Version: mdp.V01, Kind: mdp.ClientRequest, Service: service, Body: body}
		requests[i], _ = req.AppendFrames([][]byte{client})
		rep := mdp.Message{Version: mdp.V01, Kind: mdp.WorkerFinal, Address: client, Body: body}
		replies[i], _ = rep.AppendFrames([][]byte{worker})
	}
	c.resetOut()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k := i % active
		c.handle(now, requests[k])
		c.handle(now, replies[k])
		if len(c.out) != 2 {
			b.Fatalf("round trip produced %d messages", len(c.out))
		}
		c.resetOut()
		i++
	}
}
