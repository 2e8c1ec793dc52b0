package broker

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/mdp"
)

// FuzzBroker feeds arbitrary messages, from a handful of peer identities,
// through the same core.handle path the ROUTER feeds, interleaved with
// timer ticks. Nothing may panic, and the core's books must balance.
//
// The input is cut into messages at 0xfe and into frames at 0xff; the first
// byte of each message picks the sending peer.
func FuzzBroker(f *testing.F) {
	id := uuid.MustParse("0123456789abcdef0123456789abcdef")
	// With the broker's address prefix zeroed (below), the first request
	// goes to a worker with this address, so replies can match.
	first := append(make([]byte, addrLen-1), 1)
	seeds := []mdp.Message{
		{Version: mdp.V02, Kind: mdp.WorkerReady, Ext: true, Service: "echo", Tier: 1, Capacity: 2},
		{Version: mdp.V01, Kind: mdp.WorkerReady, Service: "echo"},
		{Version: mdp.V02, Kind: mdp.ClientRequest, Ext: true, Service: "echo", UUID: id, Timeout: time.Second, Body: [][]byte{[]byte("x")}},
		{Version: mdp.V01, Kind: mdp.ClientRequest, Service: "echo", Body: [][]byte{[]byte("x")}},
		{Version: mdp.V02, Kind: mdp.WorkerFinal, Ext: true, Address: first, UUID: id},
		{Version: mdp.V01, Kind: mdp.WorkerFinal, Address: first, Body: [][]byte{[]byte("y")}},
		{Version: mdp.V02, Kind: mdp.WorkerFinal, Ext: true, Address: []byte("a"), UUID: id},
		{Version: mdp.V02, Kind: mdp.WorkerDisconnect},
		{Version: mdp.V02, Kind: mdp.ClientRequest, Service: mdp.MMIServices},
		{Version: mdp.V02, Kind: mdp.WorkerReady, Ext: true, Service: "echo", Tier: 2, Capacity: 2, Mode: mdp.ModeExclusive},
		{Version: mdp.V02, Kind: mdp.WorkerReady, Ext: true, Service: "echo", Tier: 1, Capacity: 1, Mode: mdp.ModeStrict},
		{Version: mdp.V02, Kind: mdp.WorkerDrain, Ext: true},
		{Version: mdp.V02, Kind: mdp.ClientRequest, Service: mdp.MMIWorkers, Body: [][]byte{[]byte("echo")}},
		{Version: mdp.V02, Kind: mdp.ClientRequest, Service: mdp.MMIHandover, Body: [][]byte{[]byte("echo")}},
	}
	var all []byte
	for i, m := range seeds {
		frames, err := m.Frames()
		if err != nil {
			f.Fatal(err)
		}
		msg := append([]byte{byte(i)}, bytes.Join(frames, []byte{0xff})...)
		f.Add(msg)
		all = append(append(all, msg...), 0xfe)
	}
	f.Add(all)
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := DefaultConfig()
		cfg.MaxAttempts = 2
		cfg.QueueLimit = 4
		cfg = cfg.withDefaults()
		now := time.Unix(1e9, 0)
		c := newCore(cfg, now)
		c.uuidPrefix = [8]byte{}
		peers := [][]byte{[]byte("a"), []byte("b"), []byte("c"), []byte("d")}
		for _, msg := range bytes.Split(data, []byte{0xfe}) {
			if len(msg) == 0 {
				continue
			}
			frames := bytes.Split(msg[1:], []byte{0xff})
			in := append([][]byte{peers[int(msg[0])%len(peers)]}, frames...)
			c.handle(now, in)
			now = now.Add(time.Duration(msg[0]) * time.Millisecond * 10)
			c.tick(now)
			c.resetOut()
			checkBooks(t, c)
		}
	})
}

// checkBooks verifies the core's invariants: counts match the structures.
func checkBooks(t *testing.T, c *core) {
	queued, inflight, unserved := 0, 0, 0
	var bytes, unservedBytes int64
	for _, s := range c.services {
		n := 0
		for r := s.queue.head; r != nil; r = r.next {
			n++
			bytes += r.cost
			if r.unserved {
				unserved++
				unservedBytes += r.cost
			}
			if !r.queued || r.done || r.clientUUID && c.requests[r.key] != r || r.heapIndex < 0 {
				t.Fatalf("queued request in a bad state: %+v", r)
			}
		}
		if n != s.queue.len() {
			t.Fatalf("service %q queue length %d, counted %d", s.name, s.queue.len(), n)
		}
		queued += n
		workers := 0
		for _, tr := range s.tiers {
			workers += tr.workers
		}
		if workers != s.workers {
			t.Fatalf("service %q has %d workers, its tiers %d", s.name, s.workers, workers)
		}
		checkModeBooks(t, c, s)
	}
	busy, draining, held := map[*service]int{}, map[*service]int{}, 0
	for _, w := range c.workers {
		if w.gone || c.services[w.service.name] != w.service {
			t.Fatalf("registered worker in a bad state")
		}
		held += len(w.inflight)
		switch {
		case w.draining:
			draining[w.service]++
		case len(w.inflight) > 0:
			busy[w.service]++
		}
		if len(w.inflight) > w.capacity {
			t.Fatalf("worker holds %d > capacity %d", len(w.inflight), w.capacity)
		}
		for addr, r := range w.inflight {
			if r.addr != addr || r.worker != w {
				t.Fatalf("worker holds a request under another address")
			}
			if !r.done {
				inflight++
				if r.clientUUID && c.requests[r.key] != r || r.heapIndex < 0 {
					t.Fatalf("held request in a bad state: %+v", r)
				}
			}
		}
	}
	if queued != c.queued || bytes != c.queuedBytes || len(c.deadlines) != queued+inflight {
		t.Fatalf("queued %d/%d bytes %d/%d deadlines %d", queued, c.queued, bytes, c.queuedBytes, len(c.deadlines))
	}
	if held != c.held {
		t.Fatalf("workers hold %d requests, counted %d", held, c.held)
	}
	listed := 0
	for i, s := range c.list.slots {
		if s == nil {
			continue
		}
		listed++
		if s.listIndex != i || c.services[s.name] != s {
			t.Fatalf("service %q in slot %d, index %d", s.name, i, s.listIndex)
		}
		if s.busy != busy[s] || s.draining != draining[s] {
			t.Fatalf("service %q: busy %d/%d draining %d/%d", s.name, s.busy, busy[s], s.draining, draining[s])
		}
	}
	if listed != len(c.services) {
		t.Fatalf("%d services listed, %d known", listed, len(c.services))
	}
	indexed, dead := 0, 0
	for i, s := range c.names.sorted {
		if i > 0 && c.names.sorted[i-1].name >= s.name {
			t.Fatalf("name index out of order at %d", i)
		}
		if s.forgotten {
			dead++
		} else if c.services[s.name] == s {
			indexed++
		}
	}
	for _, s := range c.names.added {
		if s.forgotten {
			dead++
		} else if c.services[s.name] == s {
			indexed++
		}
	}
	if indexed != len(c.services) || dead != c.names.dead {
		t.Fatalf("name index: %d of %d services, %d/%d forgotten", indexed, len(c.services), dead, c.names.dead)
	}
	if unserved != c.unservedQueued || unservedBytes != c.unservedBytes {
		t.Fatalf("unserved %d/%d bytes %d/%d", unserved, c.unservedQueued, unservedBytes, c.unservedBytes)
	}
	perClient := 0
	for _, n := range c.unservedByClient {
		perClient += n
	}
	if perClient != unserved {
		t.Fatalf("unserved by client %d, counted %d", perClient, unserved)
	}
	for _, r := range c.requests {
		if !r.clientUUID || r.done || r.heapIndex < 0 {
			t.Fatalf("de-duplication holds a request in a bad state: %+v", r)
		}
	}
	if queued+inflight != c.live() {
		t.Fatalf("%d queued + %d in flight != %d requests", queued, inflight, c.live())
	}
}

// checkModeBooks verifies the tiers' counts and that an exclusive service
// has at most one worker holding requests, the active one, and an active
// worker whenever it has a standby.
func checkModeBooks(t *testing.T, c *core, s *service) {
	for _, tr := range s.tiers {
		busy, draining := 0, 0
		for _, w := range c.workers {
			if w.tier == tr {
				if w.busy {
					busy++
				}
				if w.draining {
					draining++
				}
			}
		}
		if busy != tr.busy || draining != tr.draining {
			t.Fatalf("service %q tier %d: busy %d/%d draining %d/%d", s.name, tr.level, tr.busy, busy, tr.draining, draining)
		}
		if s.mode == mdp.ModeExclusive && s.active == nil && tr.free.head != nil {
			t.Fatalf("exclusive service %q has a standby and no active worker", s.name)
		}
	}
	if s.mode != mdp.ModeExclusive {
		return
	}
	for _, w := range c.workers {
		if w.service == s && len(w.inflight) > 0 && w != s.active {
			t.Fatalf("exclusive service %q: a worker other than the active one holds requests", s.name)
		}
		if w.active && (w != s.active || w.inFree) {
			t.Fatalf("exclusive service %q: active worker in a bad state", s.name)
		}
	}
}
