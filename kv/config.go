package kv

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Peer is one member of the initial cluster: its Raft server ID and the
// host:port of its Raft transport.
// Replica marks a Raft non-voter (written ID=HOST:PORT/replica).
type Peer struct {
	ID      string
	Addr    string
	Replica bool
}

// Config configures a Node. Start from DefaultConfig.
type Config struct {
	Store    string   // the store's name: services Store.read and Store.write
	ID       string   // this node's Raft server ID, unique in the cluster
	DataDir  string   // holds fsm.db, raft.db and snapshots/
	RaftAddr string   // host:port the Raft transport binds and advertises
	Brokers  []string // broker endpoints; the node's workers register with each
	// Peers is the initial membership. Nodes started on an empty DataDir
	// with the same Peers, this node among them, bootstrap a new cluster;
	// a node not among them starts empty and waits to be added (AddNode on
	// the leader). On an existing DataDir it is ignored (the cluster's own
	// configuration rules).
	Peers []Peer

	// Group is the node's location (a name); Role is RoleVoter (may lead)
	// or RoleReplica (a Raft non-voter: follows and serves reads, never
	// leads, never counts for quorum). LocalGroup is the group whose
	// clients the node's brokers serve ("" = Group): the read worker
	// registers with tier 1 when it equals Group, tier 2 otherwise, so a
	// remote node serves reads only when no local one can (see ReadTier).
	Group      string
	Role       string
	LocalGroup string
	// BrokerGroups gives the group of some brokers' clients by endpoint
	// (a node that connects to brokers in several locations); brokers not
	// listed are in LocalGroup.
	BrokerGroups map[string]string
	// CatchUpLag: the read worker registers only once the applied index is
	// within this many entries of the leader's commit index (a node that
	// never saw a leader since it started serves once it has applied what
	// it has). MaxStaleness > 0 makes reads refuse (503) when the node has
	// not heard from the leader for longer; 0 serves any staleness.
	CatchUpLag   uint64
	MaxStaleness time.Duration
	// AdminAddr, when set, is the host:port of the node's HTTP endpoint:
	// /metrics, /livez, /readyz. Off by default.
	AdminAddr string
	// AdminTLS, when set, makes the admin endpoint HTTPS with it (and asks
	// for client certificates as it says); AdminAuth, when set, wraps its
	// handler. mdkv fills both from internal/adminauth (a bearer token or
	// TLS client certificates, needed beyond loopback).
	AdminTLS  *tls.Config
	AdminAuth func(http.Handler) http.Handler
	// CurveServerKey is the brokers' CURVE public key, and CurvePublicKey
	// and CurveSecretKey are the node's own key pair, each in Z85 (40
	// characters): set, the node's workers and its client connect to the
	// brokers as CURVE clients. All three or none.
	CurveServerKey, CurvePublicKey, CurveSecretKey string

	// Raft timing (see raft.Config). Tests inject milliseconds.
	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	CommitTimeout      time.Duration
	// Snapshots: taken when SnapshotThreshold entries follow the last one,
	// checked every SnapshotInterval; TrailingLogs stay after one.
	SnapshotThreshold uint64
	SnapshotInterval  time.Duration
	TrailingLogs      uint64

	ApplyTimeout     time.Duration // how long a write waits to enter the Raft pipeline
	MaxIndexWait     time.Duration // longest a read waits for min-index when its request has no deadline
	WorkerHeartbeat  time.Duration // the SDK workers' heartbeat towards the brokers
	WriteConcurrency int           // writes in flight at once (per broker)
	ReadConcurrency  int           // reads in flight at once (per broker)
	DrainTimeout     time.Duration // how long requests in flight may finish when a worker stops
	Logger           *zap.Logger
}

// DefaultConfig returns the defaults: raft's own timing (1 s heartbeat and
// election timeouts), snapshots every 8192 entries, 64 requests in flight
// per worker.
func DefaultConfig() Config {
	return Config{
		HeartbeatTimeout:   time.Second,
		ElectionTimeout:    time.Second,
		LeaderLeaseTimeout: 500 * time.Millisecond,
		CommitTimeout:      50 * time.Millisecond,
		SnapshotThreshold:  8192,
		SnapshotInterval:   2 * time.Minute,
		TrailingLogs:       10240,
		ApplyTimeout:       5 * time.Second,
		MaxIndexWait:       30 * time.Second,
		WorkerHeartbeat:    2500 * time.Millisecond,
		Group:              DefaultGroup,
		Role:               RoleVoter,
		CatchUpLag:         1000,
		WriteConcurrency:   64,
		ReadConcurrency:    64,
		DrainTimeout:       5 * time.Second,
	}
}

// Validate reports every problem of the config at once, wrapping ErrConfig.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Store == "" || strings.ContainsAny(c.Store, " \t\n") {
		bad("store name %q: want a non-empty name without spaces", c.Store)
	}
	if c.ID == "" || strings.ContainsAny(c.ID, " \t\n=,") {
		bad("node id %q: want a non-empty id without spaces, '=' or ','", c.ID)
	}
	if c.DataDir == "" {
		bad("no data directory")
	}
	if _, _, err := net.SplitHostPort(c.RaftAddr); err != nil {
		bad("raft address %q: want host:port: %v", c.RaftAddr, err)
	}
	if len(c.Brokers) == 0 {
		bad("no broker endpoint")
	}
	seen := map[string]bool{}
	for _, p := range c.Peers {
		if seen[p.ID] {
			bad("peer %q listed twice", p.ID)
		}
		seen[p.ID] = true
	}
	for _, p := range c.Peers {
		if p.ID == c.ID && p.Replica != (c.Role == RoleReplica) {
			bad("peers list %q with another role than --role %s", c.ID, c.Role)
		}
	}
	if c.Role != RoleVoter && c.Role != RoleReplica {
		bad("role %q: want %s or %s", c.Role, RoleVoter, RoleReplica)
	}
	if c.Group == "" || strings.ContainsAny(c.Group, " \t\n") || strings.ContainsAny(c.LocalGroup, " \t\n") {
		bad("group %q (local %q): want a non-empty name without spaces", c.Group, c.LocalGroup)
	}
	for ep, g := range c.BrokerGroups {
		if g == "" || strings.ContainsAny(g, " \t\n") || !slices.Contains(c.Brokers, ep) {
			bad("broker group %q for %q: want a name without spaces, for an endpoint of Brokers", g, ep)
		}
	}
	if err := c.checkCurve(); err != nil {
		bad("%v", err)
	}
	if c.MaxStaleness < 0 {
		bad("max staleness %v: want 0 (off) or more", c.MaxStaleness)
	}
	for name, d := range map[string]time.Duration{"heartbeat timeout": c.HeartbeatTimeout,
		"election timeout": c.ElectionTimeout, "leader lease timeout": c.LeaderLeaseTimeout,
		"commit timeout": c.CommitTimeout, "snapshot interval": c.SnapshotInterval,
		"apply timeout": c.ApplyTimeout, "max index wait": c.MaxIndexWait,
		"worker heartbeat": c.WorkerHeartbeat, "drain timeout": c.DrainTimeout} {
		if d < time.Millisecond {
			bad("%s %v: want at least 1ms", name, d)
		}
	}
	if c.LeaderLeaseTimeout > c.HeartbeatTimeout || c.ElectionTimeout < c.HeartbeatTimeout {
		bad("want leader lease timeout <= heartbeat timeout <= election timeout")
	}
	if c.WriteConcurrency < 1 || c.ReadConcurrency < 1 {
		bad("concurrency must be at least 1")
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrConfig, errors.Join(errs...))
	}
	return nil
}

// ParsePeers reads "ID=HOST:PORT,ID=HOST:PORT/replica,...".
func ParsePeers(s string) ([]Peer, error) {
	var out []Peer
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		id, addr, ok := strings.Cut(item, "=")
		addr, replica := strings.CutSuffix(addr, "/replica")
		if !ok || id == "" {
			return nil, fmt.Errorf("%w: peer %q: want ID=HOST:PORT", ErrConfig, item)
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, fmt.Errorf("%w: peer %q: %v", ErrConfig, item, err)
		}
		out = append(out, Peer{ID: id, Addr: addr, Replica: replica})
	}
	return out, nil
}
