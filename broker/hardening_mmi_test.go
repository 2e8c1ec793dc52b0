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
// services, on a /metrics snapshot and on one mmi.services reply.
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
	b.Run("snapshot", func(b *testing.B) {
		for b.Loop() {
			c.snapshot(now)
		}
	})
	b.Run("mmi.services", func(b *testing.B) {
		for b.Loop() {
			c.servicesJSON("")
		}
	})
}
