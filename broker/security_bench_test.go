package broker

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/mdp"
)

// BenchmarkDispatchACL is BenchmarkDispatch's round trip of one extension
// request (XREQUEST in, XREQUEST to the worker, XFINAL back, XFINAL out)
// from a caller with a CURVE key: without a policy, with a policy whose
// rules match by pattern, and with the policy and both per-connection
// limits on. What the access check and the limits add per request, and
// that they allocate nothing per request beyond the round trip itself
// (which here includes encoding each request's frames).
func BenchmarkDispatchACL(b *testing.B) {
	caller, workerKey := []byte(testKey(b).String()), []byte(testKey(b).String())
	policy, err := ParseAccess("bench", []byte("key c "+string(caller)+"\nkey w "+string(workerKey)+
		"\nallow c call kv.* echo.*\nallow w serve echo.*\n"), nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		tune func(*Config)
	}{
		{"no-policy", func(*Config) {}},
		{"policy", func(c *Config) { c.Access = policy }},
		{"policy+limits", func(c *Config) {
			c.Access, c.ClientMaxInFlight, c.ClientRate, c.ClientBurst = policy, 10, 1e9, 1e6
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := DefaultConfig()
			tc.tune(&cfg)
			cfg = cfg.withDefaults()
			now := time.Now()
			c := newCore(cfg, now)
			ready := mdp.Message{Version: mdp.V02, Kind: mdp.WorkerReady, Ext: true, Service: "echo.1", Tier: 1, Capacity: 1}
			f, _ := ready.AppendFrames([][]byte{[]byte("worker")})
			c.handleFrom(now, f, workerKey, []byte("127.0.0.1"))
			if c.workers["worker"] == nil {
				b.Fatal("worker not registered")
			}
			req := mdp.Message{Version: mdp.V02, Kind: mdp.ClientRequest, Ext: true, Service: "echo.1",
				Timeout: time.Second, Body: [][]byte{make([]byte, 64)}}
			rep := mdp.Message{Version: mdp.V02, Kind: mdp.WorkerFinal, Ext: true, Address: make([]byte, addrLen),
				Body: [][]byte{make([]byte, 64)}}
			reply, _ := rep.AppendFrames([][]byte{[]byte("worker")})
			addr := []byte("127.0.0.1")
			c.resetOut()
			b.ReportAllocs()
			var seq uint64
			for b.Loop() {
				seq++
				req.UUID = uuid.UUID{0: 1, 8: byte(seq), 9: byte(seq >> 8), 10: byte(seq >> 16), 11: byte(seq >> 24)}
				request, _ := req.AppendFrames([][]byte{[]byte("client-identity")})
				c.handleFrom(now, request, caller, addr)
				if len(c.out) != 1 || c.out[0].worker == nil {
					b.Fatalf("request produced %d messages, not one to the worker", len(c.out))
				}
				// worker XREQUEST: identity · MDPW02 · 0x12 · address · "" · meta · body
				out := c.out[0].frames
				copy(reply[3], out[3])
				copy(reply[5], out[5][2:18])
				c.handleFrom(now, reply, workerKey, addr)
				if len(c.out) != 2 || c.counters.Violations != 0 {
					b.Fatalf("round trip produced %d messages, %d violations", len(c.out), c.counters.Violations)
				}
				c.resetOut()
			}
		})
	}
}
