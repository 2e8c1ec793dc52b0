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

// startGroups starts voters in group a and replicas in group b behind one
// broker whose clients are in group a (LocalGroup a on every node).
func startGroups(t *testing.T, voters, replicas int) *cluster {
	t.Helper()
	b := brokertest.Start(t, func(c *broker.Config) { c.HeartbeatInterval = 50 * time.Millisecond })
	c := &cluster{t: t, broker: b}
	var peers []Peer
	for i := range voters + replicas {
		peers = append(peers, Peer{ID: fmt.Sprintf("n%d", i+1), Addr: mdptest.UnusedAddr(t), Replica: i >= voters})
	}
	for i, p := range peers {
		cfg := testConfig(t, p.ID, filepath.Join(t.TempDir(), p.ID), p.Addr, b.Endpoint, peers)
		cfg.Group, cfg.LocalGroup = "a", "a"
		if p.Replica {
			cfg.Group, cfg.Role = "b", RoleReplica
		}
		c.cfgs = append(c.cfgs, cfg)
		c.nodes = append(c.nodes, nil)
		c.start(i)
	}
	cl, err := clients.New([]string{b.Endpoint}, clients.WithTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	c.client, c.kv = cl, NewClient(cl, "kv")
	c.waitReady()
	return c
}

// readerGroup asks STORE.read for its status: the group of the node the
// broker chose.
func (c *cluster) readerGroup() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.kv.Status(ctx)
	if err != nil {
		return "", err
	}
	return st.Group, nil
}

// checkWriterInGroupA fails the test if a replica leads or says it does.
func (c *cluster) checkWriterInGroupA(voters int) {
	c.t.Helper()
	for i, n := range c.nodes {
		if i >= voters && n != nil && (n.IsLeader() || n.Status().Role == "leader") {
			c.t.Fatalf("replica %s (group b) leads", n.ID())
		}
	}
}

// Three voters in group a, two replicas in group b, clients in group a:
// reads go to group a; with the group-a nodes gone they move to group b
// (which keeps serving, stale, and never leads); they come back to group a
// when it returns; the writer is never in group b.
func TestReplicaGroups(t *testing.T) {
	const voters = 3
	c := startGroups(t, voters, 2)
	ctx := ctxFor(t, time.Minute)
	w, err := c.kv.Put(ctx, []byte("k"), []byte("v"))
	if err != nil {
		t.Fatal(err)
	}
	if lead := c.leader(); lead >= voters {
		t.Fatalf("the leader is %s, a replica", c.nodes[lead].ID())
	}
	for i := range 20 {
		if g, err := c.readerGroup(); err != nil || g != "a" {
			t.Fatalf("read %d served by group %q (%v), want a", i, g, err)
		}
	}
	brokertest.WaitFor(t, "the replicas applied the write", func() bool {
		return c.nodes[3].Applied() >= w.Index && c.nodes[4].Applied() >= w.Index
	})

	for i := range voters {
		c.stop(i)
	}
	brokertest.WaitFor(t, "group a's read workers gone", func() bool { return c.broker.Workers("kv.read") == 2 })
	for i := range 20 {
		if g, err := c.readerGroup(); err != nil || g != "b" {
			t.Fatalf("read %d without group a served by %q (%v), want b", i, g, err)
		}
		c.checkWriterInGroupA(voters)
	}
	g, err := c.kv.Get(ctx, []byte("k"))
	if err != nil || string(g.Value) != "v" || g.Applied < w.Index {
		t.Fatalf("stale read from group b: %+v %v", g, err)
	}
	if c.broker.Workers("kv.write") != 0 {
		t.Fatal("a write worker without any voter")
	}

	for i := range voters {
		c.start(i)
	}
	c.waitReady()
	brokertest.WaitFor(t, "reads back in group a", func() bool { g, err := c.readerGroup(); return err == nil && g == "a" })
	for i := range 20 {
		if g, err := c.readerGroup(); err != nil || g != "a" {
			t.Fatalf("read %d after group a returned served by %q (%v), want a", i, g, err)
		}
	}
	if lead := c.leader(); lead >= voters {
		t.Fatalf("the leader is %s, a replica", c.nodes[lead].ID())
	}
	c.checkWriterInGroupA(voters)
	if _, err := c.kv.Put(ctx, []byte("k"), []byte("v2")); err != nil {
		t.Fatal(err)
	}
}

// The tier of STORE.read per broker: the broker's group (BrokerGroups,
// else LocalGroup, else the node's own) against the node's group.
func TestReadTierPerBroker(t *testing.T) {
	c := DefaultConfig()
	c.Group = "paris"
	c.Brokers = []string{"tcp://p:1", "tcp://l:1", "tcp://x:1"}
	if c.ReadTier("tcp://p:1") != TierLocal {
		t.Fatal("no groups given: want tier 1")
	}
	c.LocalGroup = "lyon"
	c.BrokerGroups = map[string]string{"tcp://p:1": "paris"}
	for ep, want := range map[string]int{"tcp://p:1": TierLocal, "tcp://l:1": TierRemote, "tcp://x:1": TierRemote} {
		if got := c.ReadTier(ep); got != want {
			t.Errorf("%s: tier %d, want %d", ep, got, want)
		}
	}
	c.Store, c.ID, c.DataDir, c.RaftAddr = "kv", "a", "/tmp/x", "127.0.0.1:1"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.BrokerGroups["tcp://elsewhere:1"] = "rome"
	if err := c.Validate(); err == nil {
		t.Fatal("a group for an endpoint that is not a broker of the node was accepted")
	}
}
