package kv

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/internal/mdptest"
)

// A planned switchover under a write load of 8: leadership moves to the
// chosen voter, the old leader becomes a follower, and no write fails
// (the clients see at most a retry).
func TestTransferUnderWriteLoad(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxFor(t, time.Minute)
	stop := make(chan struct{})
	l := runLoad(ctx, c.kv, 8, stop)
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		l.wait()
	}()
	brokertest.WaitFor(t, "100 writes before the transfer", func() bool { return l.acked() >= 100 })
	old := c.leader()
	to := (old + 1) % len(c.nodes)
	if err := c.kv.Transfer(ctx, c.nodes[to].ID()); err != nil {
		t.Fatalf("transfer to %s: %v", c.nodes[to].ID(), err)
	}
	brokertest.WaitFor(t, "the target leads, the old leader follows", func() bool {
		return c.nodes[to].IsLeader() && c.nodes[old].Status().Role == "follower" && !c.nodes[old].writing.Load()
	})
	before := l.acked()
	brokertest.WaitFor(t, "100 writes after the transfer", func() bool { return l.acked() >= before+100 })
	close(stop)
	l.wait()
	if len(l.failures) > 0 {
		t.Fatalf("%d writes failed during the transfer, first: %v", len(l.failures), l.failures[0])
	}
	l.verify(t, c.kv)
	if c.broker.Workers("kv.write") != 1 {
		t.Fatalf("%d write workers after the transfer, want 1", c.broker.Workers("kv.write"))
	}
	if err := c.kv.Transfer(ctx, "nobody"); !isStatus(err, 400) {
		t.Fatalf("transfer to an unknown node: %v, want 400", err)
	}
}

// A node started with peers that do not name it waits (no STORE.read, and
// its pinned reads refused); added under a write load as a replica, it
// catches up through a snapshot and the log, and its first read already
// holds every write acknowledged before it was added.
func TestAddNodeUnderLoad(t *testing.T) {
	c := startCluster(t, 3)
	for i := range c.nodes { // compact often: the new node needs a snapshot
		c.stop(i)
		c.cfgs[i].SnapshotThreshold, c.cfgs[i].TrailingLogs, c.cfgs[i].SnapshotInterval = 100, 50, 20*time.Millisecond
	}
	for i := range c.nodes {
		c.start(i)
	}
	c.waitReady()
	ctx := ctxFor(t, time.Minute)
	stop := make(chan struct{})
	l := runLoad(ctx, c.kv, 8, stop)
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		l.wait()
	}()
	brokertest.WaitFor(t, "400 writes", func() bool { return l.acked() >= 400 })

	cfg := testConfig(t, "n4", filepath.Join(t.TempDir(), "n4"), mdptest.UnusedAddr(t), c.broker.Endpoint, c.cfgs[0].Peers)
	cfg.Role, cfg.CatchUpLag = RoleReplica, 20
	c.cfgs, c.nodes = append(c.cfgs, cfg), append(c.nodes, nil)
	c.start(3)
	n4 := c.nodes[3]
	probe := &Request{Op: OpGet, Key: []byte("before")}
	if _, err := c.client.Request(ctx, "kv.node.n4", probe.Frames()...); !isStatus(err, 503) {
		t.Fatalf("a read on a node not yet added: %v, want 503", err)
	}
	if n4.Ready() || c.broker.Workers("kv.read") != 3 {
		t.Fatal("a node not yet added registered STORE.read")
	}
	w, err := c.kv.Put(ctx, []byte("before"), []byte(strconv.Itoa(l.acked())))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.kv.AddNode(ctx, "n4", cfg.RaftAddr, true); err != nil {
		t.Fatal(err)
	}
	brokertest.WaitFor(t, "n4 caught up and serving", func() bool { return n4.Ready() })
	reply, err := c.client.Request(ctx, "kv.node.n4", probe.Frames()...)
	if err != nil {
		t.Fatalf("first read on n4: %v", err)
	}
	g, err := ParseGetResult(reply)
	if err != nil || g.Status != StatusOK || g.Applied < w.Index || g.Version != w.Index {
		t.Fatalf("first read on n4: %+v %v, want the write at index %d", g, err, w.Index)
	}
	if snap, _ := strconv.ParseUint(n4.raft.Stats()["last_snapshot_index"], 10, 64); snap == 0 {
		t.Fatal("n4 caught up without a snapshot: the test does not test the snapshot path")
	}
	brokertest.WaitFor(t, "n4's STORE.read registered", func() bool { return c.broker.Workers("kv.read") == 4 })
	close(stop)
	l.wait()
	if len(l.failures) > 0 {
		t.Fatalf("%d writes failed, first: %v", len(l.failures), l.failures[0])
	}
	st := n4.Status()
	if !st.Replica || st.Role != "follower" || !st.Ready {
		t.Fatalf("n4 status %+v", st)
	}
	if err := c.kv.RemoveNode(ctx, "n4"); err != nil {
		t.Fatal(err)
	}
	brokertest.WaitFor(t, "n4 out of the configuration", func() bool {
		return !hasServer(c.nodes[c.leader()].Status(), "n4")
	})
}

func hasServer(st NodeStatus, id string) bool {
	for _, s := range st.Servers {
		if s.ID == id {
			return true
		}
	}
	return false
}
