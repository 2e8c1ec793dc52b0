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
//
// "queued" serves one service and worker while n requests wait in another
// service's queue and in the deadline heap.
func BenchmarkDispatch(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("spread/workers=%d", n), func(b *testing.B) { benchDispatch(b, n, n, 0) })
		b.Run(fmt.Sprintf("hot/workers=%d", n), func(b *testing.B) { benchDispatch(b, n, 1, 0) })
		b.Run(fmt.Sprintf("queued=%d", n), func(b *testing.B) { benchDispatch(b, 1, 1, n) })
		b.Run(fmt.Sprintf("strict/workers=%d", n), func(b *testing.B) { benchModeDispatch(b, mdp.ModeStrict, n) })
		b.Run(fmt.Sprintf("exclusive/workers=%d", n), func(b *testing.B) { benchModeDispatch(b, mdp.ModeExclusive, n) })
	}
}

// benchModeDispatch is one service of n extension workers in four tiers,
// strict or exclusive: the round trip must cost the same for any n.
func benchModeDispatch(b *testing.B, mode mdp.Mode, n int) {
	cfg := DefaultConfig().withDefaults()
	now := time.Now()
	c := newCore(cfg, now)
	for i := 0; i < n; i++ {
		ready := mdp.Message{Version: mdp.V02, Kind: mdp.WorkerReady, Ext: true, Service: "svc",
			Tier: uint8(1 + i%4), Capacity: 1, Mode: mode}
		f, _ := ready.AppendFrames([][]byte{[]byte(fmt.Sprintf("worker-%d", i))})
		c.handle(now, f)
	}
	if s := c.services["svc"]; s.workers != n || s.mode != mode {
		b.Fatalf("%d workers in mode %s", s.workers, s.mode)
	}
	req := mdp.Message{Version: mdp.V01, Kind: mdp.ClientRequest, Service: "svc", Body: [][]byte{make([]byte, 64)}}
	request, _ := req.AppendFrames([][]byte{[]byte("client-identity")})
	rep := mdp.Message{Version: mdp.V02, Kind: mdp.WorkerFinal, Ext: true, Address: make([]byte, addrLen),
		Body: [][]byte{make([]byte, 64)}}
	reply, _ := rep.AppendFrames([][]byte{nil})
	c.resetOut()
	b.ReportAllocs()
	for b.Loop() {
		c.handle(now, request)
		// worker XREQUEST: identity · MDPW02 · 0x12 · address · "" · meta · body
		out := c.out[0].frames
		reply[0] = out[0]
		copy(reply[3], out[3])
		copy(reply[5], out[5][2:18])
		c.handle(now, reply)
		if len(c.out) != 2 {
			b.Fatalf("round trip produced %d messages", len(c.out))
		}
		c.resetOut()
	}
}

func benchDispatch(b *testing.B, n, active, queued int) {
	cfg := DefaultConfig().withDefaults()
	now := time.Now()
	c := newCore(cfg, now)
	for i := 0; i < queued; i++ {
		waiting := mdp.Message{Version: mdp.V01, Kind: mdp.ClientRequest, Service: "no-worker", Body: [][]byte{[]byte("x")}}
		f, _ := waiting.AppendFrames([][]byte{[]byte(fmt.Sprintf("waiting-client-%d", i))})
		c.handle(now, f)
	}
	if c.queued != queued {
		b.Fatalf("%d requests queued, want %d", c.queued, queued)
	}
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
		// The address is filled in from each request the worker gets.
		rep := mdp.Message{Version: mdp.V01, Kind: mdp.WorkerFinal, Address: make([]byte, addrLen), Body: body}
		replies[i], _ = rep.AppendFrames([][]byte{worker})
	}
	c.resetOut()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k := i % active
		c.handle(now, requests[k])
		// worker REQUEST: identity · "" · MDPW01 · 0x02 · address · "" · body
		copy(replies[k][4], c.out[0].frames[4])
		c.handle(now, replies[k])
		if len(c.out) != 2 {
			b.Fatalf("round trip produced %d messages", len(c.out))
		}
		c.resetOut()
		i++
	}
}
