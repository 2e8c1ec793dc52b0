package kv

import (
	"time"

	"github.com/hashicorp/raft"
	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
)

// leadership runs the write workers while this node leads. On gaining
// leadership it first waits for a barrier (every entry of earlier terms
// applied here), so that the first linearizable read already sees them;
// on losing it, it stops the write workers at once: they drain (writes in
// flight fail with 503 and are retried elsewhere) and DISCONNECT.
func (n *Node) leadership() {
	defer close(n.leader)
	var writes *workerSet
	stopWrites := func() {
		if writes != nil {
			n.log.Info("kv: not leader: write workers stop")
			writes.stop()
			writes = nil
			n.writing.Store(false)
		}
	}
	defer stopWrites()
	tick := time.NewTicker(n.cfg.HeartbeatTimeout)
	defer tick.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-n.raft.LeaderCh():
		case <-tick.C: // LeaderCh may drop signals: reconcile with the state now and then
		}
		leading := n.raft.State() == raft.Leader
		switch {
		case leading && writes == nil:
			if err := n.raft.Barrier(n.cfg.ApplyTimeout).Error(); err != nil {
				n.log.Info("kv: barrier after election failed", zap.Error(err))
				continue
			}
			// No write of ours is in flight yet, so what Raft has applied
			// now ends with the barrier: everything up to it is applied.
			n.settled.Store(n.raft.AppliedIndex())
			n.log.Info("kv: leader: write workers start", zap.Uint64("applied", n.Applied()))
			writes = n.startWorkers([]string{n.cfg.Store + ".write"}, n.serveWrite, n.cfg.WriteConcurrency)
			n.writing.Store(true)
		case !leading:
			stopWrites()
		}
	}
}

// notLeader is the reply to a write or linearizable read that reached a
// node that does not lead (any more): 503, which the client SDK retries
// with the same request UUID.
func notLeader(err error) error {
	return workers.Errorf(mdp.StatusOverloaded, "kv: not the leader: %v", err)
}
