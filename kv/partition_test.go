package kv

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/internal/mdptest"
)

// A replica cut off from the leader (a TCP proxy in front of its Raft
// transport) keeps serving reads, labelled stale; one with MaxStaleness
// refuses them (503) once the bound passes; both catch up by themselves
// when the partition heals.
func TestPartitionedReplica(t *testing.T) {
	b := brokertest.Start(t, func(c *broker.Config) { c.HeartbeatInterval = 50 * time.Millisecond })
	c := &cluster{t: t, broker: b}
	var peers []Peer
	real := map[string]string{}
	proxies := map[string]*mdptest.Proxy{}
	for i := range 5 {
		id := fmt.Sprintf("n%d", i+1)
		p := Peer{ID: id, Addr: mdptest.UnusedAddr(t), Replica: i >= 3}
		real[id] = p.Addr
		if p.Replica { // the others reach a replica through its proxy
			proxies[id] = mdptest.StartProxy(t, p.Addr)
			p.Addr = proxies[id].Addr()
		}
		peers = append(peers, p)
	}
	for i, p := range peers {
		cfg := testConfig(t, p.ID, filepath.Join(t.TempDir(), p.ID), real[p.ID], b.Endpoint, peers)
		if p.Replica {
			cfg.Role = RoleReplica
		}
		if p.ID == "n5" {
			cfg.MaxStaleness = 750 * time.Millisecond
		}
		c.cfgs, c.nodes = append(c.cfgs, cfg), append(c.nodes, nil)
		c.start(i)
	}
	cl, err := clients.New([]string{b.Endpoint}, clients.WithTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	c.client, c.kv = cl, NewClient(cl, "kv")
	c.waitReady()
	ctx := ctxFor(t, time.Minute)
	w, err := c.kv.Put(ctx, []byte("k"), []byte("before"))
	if err != nil {
		t.Fatal(err)
	}
	brokertest.WaitFor(t, "the replicas applied the write", func() bool {
		return c.nodes[3].Applied() >= w.Index && c.nodes[4].Applied() >= w.Index
	})

	for _, p := range proxies {
		p.Cut()
	}
	w2, err := c.kv.Put(ctx, []byte("k"), []byte("during"))
	if err != nil {
		t.Fatalf("a write with the replicas cut off: %v", err)
	}
	pinned := func(id string) (*GetResult, error) {
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		reply, err := c.client.Request(rctx, "kv.node."+id, (&Request{Op: OpGet, Key: []byte("k")}).Frames()...)
		if err != nil {
			return nil, err
		}
		return ParseGetResult(reply)
	}
	var last *GetResult
	brokertest.WaitFor(t, "n4 labels its reads stale by over a second", func() bool {
		g, err := pinned("n4")
		if err != nil {
			t.Fatalf("n4 refused a read while cut off: %v", err)
		}
		last = g
		return g.LastContact > time.Second
	})
	if string(last.Value) != "before" || last.Applied >= w2.Index {
		t.Fatalf("n4 cut off read %+v: want the value before the cut, applied below %d", last, w2.Index)
	}
	brokertest.WaitFor(t, "n5 refuses stale reads", func() bool { _, err := pinned("n5"); return isStatus(err, 503) })

	for _, p := range proxies {
		p.Restore()
	}
	brokertest.WaitFor(t, "both replicas caught up after healing", func() bool {
		return c.nodes[3].Applied() >= w2.Index && c.nodes[4].Applied() >= w2.Index
	})
	lead := c.nodes[c.leader()].Status()
	brokertest.WaitFor(t, "the replicas' applied index reaches the leader's", func() bool {
		return c.nodes[3].Applied() >= lead.Applied && c.nodes[4].Applied() >= lead.Applied
	})
	brokertest.WaitFor(t, "n5 serves again", func() bool {
		g, err := pinned("n5")
		return err == nil && string(g.Value) == "during"
	})
}
