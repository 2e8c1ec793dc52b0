package broker

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

// Issue 9, item 10: mmi.services answers at most MMIServicesPage services
// per reply, in name order; the body frame names the last service of the
// previous page.
func TestMMIServicesIsPaged(t *testing.T) {
	const n = 2*MMIServicesPage + 10
	tb := startBroker(t, nil)
	c := dial(t, tb.ep, zmq.DEALER)
	for i := 0; i < n; i++ {
		c.send(plainRequest(mdp.V02, fmt.Sprintf("svc-%05d", i), "x"))
	}
	waitFor(t, "services known", func() bool { return len(tb.snapshot(t).Services) == n })
	var all []MMIService
	after := []string(nil)
	for page := 0; ; page++ {
		c.send(plainRequest(mdp.V02, mdp.MMIServices, after...))
		m := c.expect(mdp.ClientFinal)
		var list []MMIService
		if len(m.Body) != 2 || string(m.Body[0]) != "200" || json.Unmarshal(m.Body[1], &list) != nil {
			t.Fatalf("page %d: reply %q", page, m.Body)
		}
		if len(list) > MMIServicesPage {
			t.Fatalf("page %d lists %d services", page, len(list))
		}
		if len(list) == 0 {
			break
		}
		all = append(all, list...)
		after = []string{list[len(list)-1].Name}
	}
	if len(all) != n {
		t.Fatalf("paged through %d services, want %d", len(all), n)
	}
	for i, s := range all {
		if want := fmt.Sprintf("svc-%05d", i); s.Name != want || s.Queued != 1 {
			t.Fatalf("entry %d: %+v, want %s with 1 queued", i, s, want)
		}
	}

	// mmi.broker reports the bounds a client must respect.
	c.send(plainRequest(mdp.V02, mdp.MMIBroker))
	var info MMIBrokerInfo
	if m := c.expect(mdp.ClientFinal); json.Unmarshal(m.Body[1], &info) != nil || info.MaxBodyFrames != MaxBodyFrames ||
		info.QueueBytes != DefaultConfig().QueueBytes || info.ReplyCacheTTLMs != time.Minute.Milliseconds() ||
		info.MMIServicesPage != MMIServicesPage || info.WorkerHeartbeatMinMs != 10 {
		t.Fatalf("mmi.broker %+v", info)
	}
}

// BenchmarkLoopWithManyServices is what the loop spends, with 50,000
// services, on a /metrics snapshot (all of it, and the one chunk that
// Broker.Snapshot takes per turn of the loop) and on one mmi.services
// reply.
func BenchmarkLoopWithManyServices(b *testing.B) {
	cfg := DefaultConfig().withDefaults()
	cfg.UnservedPerClient = 1 << 20
	cfg.UnservedQueueBytes = 1 << 40
	now := time.Now()
	c := newCore(cfg, now)
	for i := 0; i < 50000; i++ {
		req := mdp.Message{Version: mdp.V01, Kind: mdp.ClientRequest, Service: fmt.Sprintf("service-%d", i), Body: [][]byte{[]byte("x")}}
		f, _ := req.AppendFrames([][]byte{[]byte("client")})
		c.handle(now, f)
	}
	if len(c.services) != 50000 {
		b.Fatalf("%d services", len(c.services))
	}
	b.Run("snapshot-all-at-once", func(b *testing.B) {
		for b.Loop() {
			c.snapshot(now)
		}
	})
	// What Broker.Snapshot costs the loop in one turn: the longest stall.
	b.Run("snapshot-one-chunk", func(b *testing.B) {
		dst := make([]ServiceSnapshot, 0, snapshotChunk)
		for b.Loop() {
			dst, _, _ = c.copyServices(now, dst[:0], 0, snapshotChunk)
		}
	})
	b.Run("mmi.services", func(b *testing.B) {
		for b.Loop() {
			c.servicesJSON(time.Now(), "")
		}
	})
}

// Issue 9, item 10: Broker.Snapshot copies the services over several
// turns of the loop and still returns every one, sorted, with its workers
// counted by state.
func TestSnapshotInChunks(t *testing.T) {
	const n = 3*snapshotChunk + 7
	tb := startBroker(t, func(cfg *Config) { cfg.HeartbeatLiveness = patientLiveness })
	c := dial(t, tb.ep, zmq.DEALER)
	for i := 0; i < n; i++ {
		c.send(plainRequest(mdp.V02, fmt.Sprintf("svc-%05d", i), "x"))
	}
	busy := tb.readyWorker(t, readyExt("svc-00000", 1, 1)) // takes the queued request
	busy.expect(mdp.WorkerRequest)
	tb.readyWorker(t, readyExt("svc-00000", 1, 1))
	drainer := tb.readyWorker(t, readyExt("svc-00000", 1, 1))
	drainer.send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerDrain, Ext: true})
	var s Snapshot
	waitFor(t, "every service, the workers by state", func() bool {
		s = tb.snapshot(t)
		return len(s.Services) == n && s.Services[0].Draining == 1
	})
	for i, ss := range s.Services {
		if want := fmt.Sprintf("svc-%05d", i); ss.Name != want {
			t.Fatalf("entry %d is %q, want %q", i, ss.Name, want)
		}
	}
	if first := s.Services[0]; first.Workers != 3 || first.Busy != 1 || first.Idle != 1 || s.InFlight != 1 || s.Queued != n-1 {
		t.Fatalf("first service %+v, in flight %d, queued %d", first, s.InFlight, s.Queued)
	}
}
