package kv

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/internal/mdptest"
)

// cluster is a store of in-process nodes behind one in-process broker.
type cluster struct {
	t      testing.TB
	broker *brokertest.Broker
	cfgs   []Config
	nodes  []*Node
	client *clients.Client
	kv     *Client
	// followerSvc names a follower's node service when nodes is empty
	// (a cluster of processes, for the benchmarks).
	followerSvc string
}

// testConfig is a node config with timings for a loaded 2-core machine:
// a few hundred milliseconds, so that failover is quick and still rare by
// accident (under -race and GOMAXPROCS=1, 100 ms gave spurious elections).
func testConfig(t testing.TB, id, dir, raftAddr, brokerEP string, peers []Peer) Config {
	cfg := DefaultConfig()
	cfg.Store, cfg.ID, cfg.DataDir, cfg.RaftAddr = "kv", id, dir, raftAddr
	cfg.Brokers, cfg.Peers = []string{brokerEP}, peers
	cfg.HeartbeatTimeout, cfg.ElectionTimeout, cfg.LeaderLeaseTimeout = 250*time.Millisecond, 250*time.Millisecond, 200*time.Millisecond
	cfg.CommitTimeout = 5 * time.Millisecond
	cfg.WorkerHeartbeat = 50 * time.Millisecond
	cfg.DrainTimeout = time.Second
	cfg.Logger = zap.NewNop()
	if _, bench := t.(*testing.B); !bench {
		cfg.Logger = zaptest.NewLogger(t).Named(id)
	}
	return cfg
}

func startCluster(t *testing.T, size int) *cluster { return startClusterTB(t, size) }

func startClusterTB(t testing.TB, size int) *cluster {
	t.Helper()
	b := brokertest.Start(t, func(c *broker.Config) { c.HeartbeatInterval = 50 * time.Millisecond })
	c := &cluster{t: t, broker: b}
	var peers []Peer
	for i := range size {
		peers = append(peers, Peer{ID: fmt.Sprintf("n%d", i+1), Addr: mdptest.UnusedAddr(t)})
	}
	for i, p := range peers {
		c.cfgs = append(c.cfgs, testConfig(t, p.ID, filepath.Join(t.TempDir(), p.ID), p.Addr, b.Endpoint, peers))
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

func (c *cluster) start(i int) {
	c.t.Helper()
	n, err := Start(c.cfgs[i])
	if err != nil {
		c.t.Fatal(err)
	}
	c.nodes[i] = n
	c.t.Cleanup(func() { c.stop(i) })
}

func (c *cluster) stop(i int) {
	if n := c.nodes[i]; n != nil {
		c.nodes[i] = nil
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := n.Close(ctx); err != nil {
			c.t.Errorf("close %s: %v", n.ID(), err)
		}
	}
}

// waitReady waits for one write worker and every node's read worker.
func (c *cluster) waitReady() {
	c.t.Helper()
	live := 0
	for _, n := range c.nodes {
		if n != nil {
			live++
		}
	}
	brokertest.WaitFor(c.t, "a leader's write worker and every read worker", func() bool {
		return c.broker.Workers("kv.write") == 1 && c.broker.Workers("kv.read") == live
	})
}

func (c *cluster) leader() int {
	c.t.Helper()
	idx := -1
	brokertest.WaitFor(c.t, "a leader", func() bool {
		for i, n := range c.nodes {
			if n != nil && n.IsLeader() {
				idx = i
				return true
			}
		}
		return false
	})
	return idx
}

func ctxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
