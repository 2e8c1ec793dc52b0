package kv

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/majordomo-go/majordomo/broker/brokertest"
)

// A node that was away while the others compacted their logs catches up
// through a snapshot install (Restore), and every node restarts on its own
// snapshots without applying anything twice.
func TestCatchUpFromSnapshot(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxFor(t, time.Minute)
	away := (c.leader() + 1) % 3
	c.stop(away)
	c.waitReady()
	for i := range 100 {
		if _, err := c.kv.Put(ctx, []byte(fmt.Sprintf("k/%03d", i)), []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.kv.Incr(ctx, []byte("n"), 1); err != nil {
			t.Fatal(err)
		}
	}
	for i, n := range c.nodes {
		if n != nil {
			// Snapshot now and keep only 10 entries after it: the node away
			// can only catch up from the snapshot.
			if err := n.raft.ReloadConfig(reloadWith(n, 10)); err != nil {
				t.Fatal(err)
			}
			if err := n.raft.Snapshot().Error(); err != nil {
				t.Fatalf("snapshot on node %d: %v", i, err)
			}
		}
	}
	last, err := c.kv.Put(ctx, []byte("last"), []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	c.start(away)
	brokertest.WaitFor(t, "the node away caught up", func() bool { return c.nodes[away].Applied() >= last.Index })
	g, err := c.nodes[away].fsm.get([]byte("n"))
	if err != nil || string(g.Value) != "100" {
		t.Fatalf("counter on the restored node: %+v %v", g, err)
	}
	if s, err := c.nodes[away].fsm.scan([]byte("k/"), nil, MaxScanLimit); err != nil || len(s.Records) != 100 {
		t.Fatalf("keys on the restored node: %d %v", len(s.Records), err)
	}
	if _, err := os.Stat(filepath.Join(c.cfgs[away].DataDir, "fsm.db.restore")); !os.IsNotExist(err) {
		t.Fatalf("the restore's temporary file is left: %v", err)
	}

	// Every node restarts on its snapshots: the log after them is replayed
	// and skipped, so the counter stays.
	for i := range c.nodes {
		c.stop(i)
	}
	for i := range c.nodes {
		c.start(i)
	}
	c.waitReady()
	if n, _, err := c.kv.Incr(ctx, []byte("n"), 1); err != nil || n != 101 {
		t.Fatalf("counter after restarting on snapshots: %d %v", n, err)
	}
}

func reloadWith(n *Node, trailing uint64) raft.ReloadableConfig {
	return raft.ReloadableConfig{
		TrailingLogs:      trailing,
		SnapshotInterval:  n.cfg.SnapshotInterval,
		SnapshotThreshold: n.cfg.SnapshotThreshold,
		HeartbeatTimeout:  n.cfg.HeartbeatTimeout,
		ElectionTimeout:   n.cfg.ElectionTimeout,
	}
}

// A node whose state machine is behind its newest snapshot (killed, or its
// Restore failed, while installing a snapshot from the leader: Raft keeps
// the snapshot before the state machine restores it, and takes its index as
// applied on restart) restores that snapshot on start instead of skipping
// the entries up to it. Simulated by putting back an older fsm.db.
func TestStateMachineBehindItsSnapshotRestoresIt(t *testing.T) {
	c := startCluster(t, 1)
	ctx := ctxFor(t, time.Minute)
	if _, err := c.kv.Put(ctx, []byte("k/000"), []byte("0")); err != nil {
		t.Fatal(err)
	}
	fsmPath := filepath.Join(c.cfgs[0].DataDir, "fsm.db")
	c.stop(0)
	old, err := os.ReadFile(fsmPath)
	if err != nil {
		t.Fatal(err)
	}
	c.start(0)
	c.waitReady()
	for i := 1; i <= 20; i++ {
		if _, err := c.kv.Put(ctx, []byte(fmt.Sprintf("k/%03d", i)), []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	n := c.nodes[0]
	if err := n.raft.ReloadConfig(reloadWith(n, 1)); err != nil {
		t.Fatal(err)
	}
	if err := n.raft.Snapshot().Error(); err != nil {
		t.Fatal(err)
	}
	c.stop(0)
	if err := os.WriteFile(fsmPath, old, 0o600); err != nil {
		t.Fatal(err)
	}
	c.start(0)
	c.waitReady()
	s, err := c.nodes[0].fsm.scan([]byte("k/"), nil, MaxScanLimit)
	if err != nil || len(s.Records) != 21 {
		t.Fatalf("keys after restarting behind the snapshot: %d (want 21) %v", len(s.Records), err)
	}
}
