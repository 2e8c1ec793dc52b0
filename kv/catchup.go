package kv

import (
	"context"
	"time"

	"github.com/hashicorp/raft"
	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/workers"
)

// bootstraps reports whether the initial membership names this node as
// a voter: only then does it bootstrap (Raft bootstraps from voters only).
// A replica listed in Peers receives the configuration from the leader;
// a node not listed waits to be added.
func (c *Config) bootstraps() bool {
	for _, p := range c.Peers {
		if p.ID == c.ID && !p.Replica {
			return true
		}
	}
	return false
}

// readGate starts the STORE.read workers once the node has caught up, so
// that clients never read from an empty or far-behind node; it checks
// every heartbeat timeout until Close.
func (n *Node) readGate() {
	defer n.wg.Done()
	tick := time.NewTicker(n.cfg.HeartbeatTimeout)
	defer tick.Stop()
	for {
		if n.caughtUp() {
			n.log.Info("kv: caught up: read workers start", zap.Uint64("applied", n.Applied()), zap.Strings("brokers", n.cfg.Brokers))
			n.reads = n.startWorkers([]string{n.cfg.Store + ".read"}, n.cfg.ReadTier, n.serveRead,
				n.cfg.ReadConcurrency, workers.WithDedupCache(0, 0))
			n.ready.Store(true)
			return
		}
		select {
		case <-n.ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// caughtUp: this node leads, or it is a member of the configuration, knows
// a leader, and its applied index is within CatchUpLag of the commit index
// the leader reports (asked through the brokers, on STORE.node.LEADER: a
// follower's own commit index only covers what it already received).
func (n *Node) caughtUp() bool {
	if n.raft.State() == raft.Leader {
		return true
	}
	_, leader := n.raft.LeaderWithID()
	if leader == "" || !n.isMember() {
		return false
	}
	ctx, cancel := context.WithTimeout(n.ctx, 2*n.cfg.HeartbeatTimeout)
	defer cancel()
	st, err := n.peerKV.NodeStatus(ctx, string(leader))
	if err != nil || st.Role != "leader" {
		return false
	}
	return n.Applied()+n.cfg.CatchUpLag >= st.Commit
}

// isMember reports whether the latest configuration holds this node.
func (n *Node) isMember() bool {
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return false
	}
	for _, s := range f.Configuration().Servers {
		if s.ID == raft.ServerID(n.cfg.ID) {
			return true
		}
	}
	return false
}

// Ready reports whether the node has caught up and its read workers run.
func (n *Node) Ready() bool { return n.ready.Load() }
