package kv

import (
	"encoding/json"
	"strconv"

	"github.com/hashicorp/raft"
)

// NodeStatus is what a node says of itself in reply to status (a JSON
// object in the reply's second frame; see spec/kv.md).
type NodeStatus struct {
	ID            string   `json:"id"`
	Group         string   `json:"group"`
	Replica       bool     `json:"replica"` // a non-voter (--role replica)
	Ready         bool     `json:"ready"`   // caught up: STORE.read registered
	Role          string   `json:"role"`    // leader, follower, candidate or shutdown
	Term          uint64   `json:"term"`
	Applied       uint64   `json:"applied"`
	Commit        uint64   `json:"commit"`
	LastIndex     uint64   `json:"last_index"`
	Leader        string   `json:"leader"` // the leader's ID as this node knows it; "" when none
	LastContactMS int64    `json:"last_contact_ms"`
	Servers       []Server `json:"servers"` // the cluster's configuration as this node knows it
}

// Server is one member of the Raft configuration.
type Server struct {
	ID       string `json:"id"`
	Addr     string `json:"addr"`
	Suffrage string `json:"suffrage"` // Voter, Nonvoter or Staging
}

// Status returns this node's view of itself and its cluster.
func (n *Node) Status() NodeStatus {
	st := n.raft.Stats()
	num := func(k string) uint64 { v, _ := strconv.ParseUint(st[k], 10, 64); return v }
	_, leaderID := n.raft.LeaderWithID()
	s := NodeStatus{ID: n.cfg.ID, Group: n.cfg.Group, Replica: n.cfg.Role == RoleReplica, Ready: n.Ready(), Role: roleName(n.raft.State()), Term: num("term"), Applied: n.Applied(),
		Commit: num("commit_index"), LastIndex: num("last_log_index"), Leader: string(leaderID), LastContactMS: -1}
	if lc := n.lastContact(); lc >= 0 {
		s.LastContactMS = lc.Milliseconds()
	}
	if f := n.raft.GetConfiguration(); f.Error() == nil {
		for _, srv := range f.Configuration().Servers {
			s.Servers = append(s.Servers, Server{ID: string(srv.ID), Addr: string(srv.Address), Suffrage: srv.Suffrage.String()})
		}
	}
	return s
}

func roleName(s raft.RaftState) string {
	switch s {
	case raft.Leader:
		return "leader"
	case raft.Follower:
		return "follower"
	case raft.Candidate:
		return "candidate"
	}
	return "shutdown"
}

func (n *Node) statusFrames() ([][]byte, error) {
	b, err := json.Marshal(n.Status())
	if err != nil {
		return nil, err
	}
	return [][]byte{[]byte(StatusOK), b}, nil
}

// ParseStatus decodes a status reply.
func ParseStatus(f [][]byte) (*NodeStatus, error) {
	if len(f) != 2 || string(f[0]) != StatusOK {
		return nil, badReply("status reply of %d frames: want ok · JSON", len(f))
	}
	var s NodeStatus
	if err := json.Unmarshal(f[1], &s); err != nil {
		return nil, badReply("status JSON: %v", err)
	}
	return &s, nil
}
