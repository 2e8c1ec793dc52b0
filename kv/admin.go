package kv

import (
	"errors"
	"net"

	"github.com/hashicorp/raft"

	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
)

// Administrative ops, served by the leader on STORE.write (spec/kv.md,
// "Administration"): leadership transfer and membership changes.
const (
	OpTransfer = "transfer" // transfer · id
	OpAdd      = "add"      // add · id · host:port · voter|replica
	OpRemove   = "remove"   // remove · id
)

// IsAdmin reports whether the op is an administrative one.
func (r *Request) IsAdmin() bool {
	return r.Op == OpTransfer || r.Op == OpAdd || r.Op == OpRemove
}

func (r *Request) parseAdmin(args [][]byte) error {
	want := map[string]int{OpTransfer: 1, OpAdd: 3, OpRemove: 1}[r.Op]
	if err := wantFrames(r.Op, args, want, want); err != nil {
		return err
	}
	r.Node = string(args[0])
	if r.Node == "" || len(r.Node) > MaxKeySize {
		return badRequest("%s: node id of %d bytes: want 1 to %d", r.Op, len(r.Node), MaxKeySize)
	}
	if r.Op != OpAdd {
		return nil
	}
	r.Addr = string(args[1])
	if _, _, err := net.SplitHostPort(r.Addr); err != nil {
		return badRequest("add: raft address %q: want host:port", truncate(args[1]))
	}
	switch string(args[2]) {
	case RoleVoter:
	case RoleReplica:
		r.Replica = true
	default:
		return badRequest("add: role %q: want %s or %s", truncate(args[2]), RoleVoter, RoleReplica)
	}
	return nil
}

func (r *Request) adminFrames() [][]byte {
	f := [][]byte{[]byte(r.Op), []byte(r.Node)}
	if r.Op == OpAdd {
		role := RoleVoter
		if r.Replica {
			role = RoleReplica
		}
		f = append(f, []byte(r.Addr), []byte(role))
	}
	return f
}

// admin runs an administrative op on the leader; the reply is "ok".
func (n *Node) admin(r *Request) ([][]byte, error) {
	var err error
	switch r.Op {
	case OpTransfer:
		err = n.transfer(r.Node)
	case OpAdd:
		id, addr := raft.ServerID(r.Node), raft.ServerAddress(r.Addr)
		if r.Replica {
			err = n.raft.AddNonvoter(id, addr, 0, n.cfg.ApplyTimeout).Error()
		} else {
			err = n.raft.AddVoter(id, addr, 0, n.cfg.ApplyTimeout).Error()
		}
	case OpRemove:
		err = n.raft.RemoveServer(raft.ServerID(r.Node), 0, n.cfg.ApplyTimeout).Error()
	}
	if err != nil {
		if werr := (*workers.Error)(nil); errors.As(err, &werr) {
			return nil, err
		}
		return nil, notLeader(err)
	}
	return [][]byte{[]byte(StatusOK)}, nil
}

// transfer hands leadership to the voter id and waits until this node
// has stopped serving writes.
func (n *Node) transfer(id string) error {
	if id == n.cfg.ID {
		return nil // already here
	}
	var addr raft.ServerAddress
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return err
	}
	for _, s := range f.Configuration().Servers {
		if string(s.ID) == id && s.Suffrage == raft.Voter {
			addr = s.Address
		}
	}
	if addr == "" {
		return workers.Errorf(mdp.StatusBadRequest, "kv: transfer: %q is not a voter of this store", id)
	}
	// The future ends once the target has won (or the attempt failed);
	// the write workers withdraw at the leadership loop's next look (this
	// handler runs in one of them, so it does not wait for that).
	return n.raft.LeadershipTransferToServer(raft.ServerID(id), addr).Error()
}
