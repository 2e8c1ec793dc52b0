package kv

import (
	"time"

	"github.com/hashicorp/raft"
	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
)

// leadership runs the write workers while this node leads. On gaining
// leadership it first applies a barrier command through the log (so every
// entry of earlier terms, and Raft's own no-op of this term, is applied
// here and counted in the applied index), so that the first linearizable
// read already sees them;
// on losing it, it stops the write workers at once: they drain (writes in
// flight fail with 503 and are retried elsewhere) and DISCONNECT.
func (n *Node) leadership() {
	defer close(n.leader)
	var writes *workerSet
	var writesTerm uint64 // the term the write workers serve
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
		if leading && writes != nil && n.raft.CurrentTerm() != writesTerm {
			// Leadership was lost and won again between two looks: the new
			// term needs its own barrier before it serves.
			stopWrites()
		}
		switch {
		case leading && writes == nil:
			term := n.raft.CurrentTerm()
			if err := n.barrier(); err != nil {
				n.log.Info("kv: barrier after election failed", zap.Error(err))
				continue
			}
			writesTerm = term
			n.log.Info("kv: leader: write workers start", zap.Uint64("applied", n.Applied()))
			writes = n.startWorkers([]string{n.cfg.Store + ".write"}, anyTier(TierLocal), n.serveWrite, n.cfg.WriteConcurrency)
			n.writing.Store(true)
		case !leading:
			stopWrites()
		}
	}
}

// barrier applies a command without effect through the log: once it is
// applied here, so is every entry before it.
func (n *Node) barrier() error {
	data, err := (&command{Op: opBarrier, Stamp: time.Now().UnixNano()}).encode()
	if err != nil {
		return err
	}
	return n.raft.Apply(data, n.cfg.ApplyTimeout).Error()
}

// notLeader is the reply to a write or linearizable read that reached a
// node that does not lead (any more): 503, which the client SDK retries
// with the same request UUID.
func notLeader(err error) error {
	return workers.Errorf(mdp.StatusOverloaded, "kv: not the leader: %v", err)
}
