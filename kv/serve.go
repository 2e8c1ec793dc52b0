package kv

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/raft"

	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
)

// serveRead answers Store.read and Store.node.ID: get and scan from this
// node's state (stale, unless min-index makes them wait), and status.
func (n *Node) serveRead(ctx context.Context, req *workers.Request) ([][]byte, error) {
	r, err := ParseRequest(req.Body)
	if err != nil {
		return nil, workers.Errorf(mdp.StatusBadRequest, "%v", err)
	}
	if r.IsWrite() || r.IsAdmin() {
		return nil, workers.Errorf(mdp.StatusBadRequest, "kv: %s is a write: send it to %s.write", r.Op, n.cfg.Store)
	}
	if r.MinIndex > 0 {
		if err := n.waitIndex(ctx, r.MinIndex); err != nil {
			return nil, err
		}
	}
	if err := n.checkStaleness(r); err != nil {
		return nil, err
	}
	return n.read(r)
}

// checkStaleness refuses a get or scan with 503 before the node has caught
// up, and when MaxStaleness is set
// and the node has not heard from the leader for longer (or never has):
// the client's retry may find a fresher node. Status is always answered.
func (n *Node) checkStaleness(r *Request) error {
	if r.Op == OpStatus {
		return nil
	}
	if !n.ready.Load() { // only STORE.node.ID gets here before: never read an empty node
		return workers.Errorf(mdp.StatusOverloaded, "kv: not caught up yet (applied %d)", n.Applied())
	}
	if n.cfg.MaxStaleness <= 0 {
		return nil
	}
	lc := n.lastContact()
	if lc >= 0 && lc <= n.cfg.MaxStaleness {
		return nil
	}
	n.staleRefused.Add(1)
	return workers.Errorf(mdp.StatusOverloaded, "kv: stale: last contact with the leader %v ago, over the bound of %v (applied %d)",
		lc.Round(time.Millisecond), n.cfg.MaxStaleness, n.Applied())
}

// serveWrite answers Store.write on the leader: writes through Raft, and
// get and scan as linearizable reads.
func (n *Node) serveWrite(ctx context.Context, req *workers.Request) ([][]byte, error) {
	r, err := ParseRequest(req.Body)
	if err != nil {
		return nil, workers.Errorf(mdp.StatusBadRequest, "%v", err)
	}
	if r.IsAdmin() {
		return n.admin(r)
	}
	if !r.IsWrite() {
		if err := n.readIndex(ctx); err != nil {
			return nil, err
		}
		return n.read(r)
	}
	rid := r.RID
	if rid == zeroRID && req.ClientUUID {
		rid = req.UUID
	}
	return n.write(r, rid)
}

// write proposes the command and waits until it is applied here.
func (n *Node) write(r *Request, rid uuid.UUID) ([][]byte, error) {
	data, err := newCommand(r, rid, time.Now().UnixNano()).encode()
	if err != nil {
		return nil, err
	}
	f := n.raft.Apply(data, n.cfg.ApplyTimeout)
	if err := f.Error(); err != nil {
		// Not leader, leadership lost (the outcome is unknown: only a retry
		// with the same request id is safe, and de-duplication makes it
		// exact), shut down or a full pipeline: the client retries.
		return nil, notLeader(err)
	}
	res, ok := f.Response().(*WriteResult)
	if !ok || res == nil {
		return nil, workers.Errorf(mdp.StatusInternal, "kv: no result for index %d", f.Index())
	}
	return res.Frames(), nil
}

// readIndex makes a read on the leader linearizable: the commit index is
// taken, leadership is confirmed with a round of heartbeats to a majority
// (VerifyLeader), and the read waits until this node has applied that
// index. Every write acknowledged before the read started is then visible.
func (n *Node) readIndex(ctx context.Context) error {
	ci := n.raft.CommitIndex()
	if err := n.raft.VerifyLeader().Error(); err != nil {
		return notLeader(err)
	}
	return n.waitIndex(ctx, ci)
}

// waitIndex waits until the applied index reaches idx, within the
// request's deadline (or MaxIndexWait); 504 when it passes first.
func (n *Node) waitIndex(ctx context.Context, idx uint64) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.cfg.MaxIndexWait)
		defer cancel()
	}
	err := n.fsm.waitApplied(ctx, idx)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.DeadlineExceeded):
		return workers.Errorf(mdp.StatusExpired, "kv: index %d not applied before the deadline (applied %d)", idx, n.Applied())
	default:
		return workers.Errorf(mdp.StatusOverloaded, "kv: node stopping")
	}
}

// read serves get, scan and status from the local state.
func (n *Node) read(r *Request) ([][]byte, error) {
	switch r.Op {
	case OpGet:
		res, err := n.fsm.get(r.Key)
		if err != nil {
			return nil, err
		}
		res.LastContact = n.lastContact()
		return res.Frames(), nil
	case OpScan:
		res, err := n.fsm.scan(r.Key, r.After, r.Limit)
		if err != nil {
			return nil, err
		}
		res.LastContact = n.lastContact()
		return res.Frames(), nil
	default:
		return n.statusFrames()
	}
}

// lastContact is the time since this node last heard from the leader: 0
// on the leader, -1 when it never has.
func (n *Node) lastContact() time.Duration {
	if n.raft.State() == raft.Leader {
		return 0
	}
	t := n.raft.LastContact()
	if t.IsZero() {
		return -1
	}
	return time.Since(t)
}
