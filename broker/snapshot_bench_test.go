package broker

import (
	"fmt"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/mdp"
)

// BenchmarkSnapshotChunkAnswered is the loop's longest stall for a
// snapshot when every service has answered requests: one chunk of
// services, each with its latency histogram and recent window to copy.
func BenchmarkSnapshotChunkAnswered(b *testing.B) {
	cfg := DefaultConfig().withDefaults()
	now := time.Now()
	c := newCore(cfg, now)
	for i := range snapshotChunk {
		req := mdp.Message{Version: mdp.V01, Kind: mdp.ClientRequest, Service: fmt.Sprintf("service-%d", i), Body: [][]byte{[]byte("x")}}
		f, _ := req.AppendFrames([][]byte{[]byte("client")})
		c.handle(now, f)
	}
	for _, s := range c.services {
		for d := time.Microsecond; d < 20*time.Second; d *= 3 {
			s.hist.observe(d)
			s.latency.observe(now, d)
		}
	}
	dst := make([]ServiceSnapshot, 0, snapshotChunk)
	b.ReportAllocs()
	for b.Loop() {
		dst, _, _ = c.copyServices(now, dst[:0], 0, snapshotChunk)
	}
}
