package kv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/workers"
)

// Node is one member of a store: a Raft server, its bbolt state machine and
// the SDK workers that serve Store.read (always), Store.node.ID (always)
// and Store.write (while it leads). Its methods are safe for concurrent use.
type Node struct {
	cfg   Config
	log   *zap.Logger
	fsm   *fsm
	raft  *raft.Raft
	trans *raft.NetworkTransport
	logs  *raftboltdb.BoltStore

	ctx     context.Context // ends at Close: every goroutine below watches it
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	reads   *workerSet // STORE.read, started once caught up (readGate)
	nodeSvc *workerSet // STORE.node.ID, from the start
	peerKV  *Client    // asks the leader's node service for its commit index
	peerCl  *clients.Client
	ready   atomic.Bool // the read workers are started

	staleRefused atomic.Uint64 // reads refused by MaxStaleness
	metrics      *metrics
	adminSrv     *http.Server // on cfg.AdminAddr, when set
	adminLn      net.Listener
	leader       chan struct{} // closed when the leadership loop has stopped
	writing      atomic.Bool   // the write workers run (or drain)

	closeOnce sync.Once
	closeErr  error
}

// Start opens the data directory (refusing a corrupt file with ErrCorrupt),
// starts Raft (bootstrapping a new cluster from cfg.Peers when the
// directory holds no state) and registers the node's workers.
func Start(cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	n := &Node{cfg: cfg, log: cfg.Logger.With(zap.String("node", cfg.ID)), leader: make(chan struct{})}
	copts := append([]clients.Option{clients.WithTimeout(cfg.HeartbeatTimeout), clients.WithLogger(n.log.Named("client"))},
		cfg.clientCurve()...)
	cl, err := clients.New(cfg.Brokers, copts...)
	if err != nil {
		return nil, fmt.Errorf("kv: client towards the brokers: %w", err)
	}
	n.peerCl, n.peerKV = cl, NewClient(cl, cfg.Store)
	if err := n.open(); err != nil {
		n.closeStores()
		cl.Close()
		return nil, err
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.metrics = n.newMetrics()
	if cfg.AdminAddr != "" {
		if err := n.serveAdmin(); err != nil {
			n.cancel()
			n.raft.Shutdown().Error()
			n.closeStores()
			cl.Close()
			return nil, err
		}
	}
	// Reads are never de-duplicated: no reply cache on the read workers.
	n.nodeSvc = n.startWorkers([]string{cfg.Store + ".node." + cfg.ID}, anyTier(TierLocal), n.serveRead, cfg.ReadConcurrency, workers.WithDedupCache(0, 0))
	n.wg.Add(1)
	go n.readGate()
	go n.leadership()
	return n, nil
}

// open opens the stores and starts Raft.
func (n *Node) open() error {
	dir := n.cfg.DataDir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("kv: data directory: %w", err)
	}
	var err error
	if n.fsm, err = openFSM(filepath.Join(dir, "fsm.db"), n.log); err != nil {
		return err
	}
	logPath := filepath.Join(dir, "raft.db")
	if err := checkBolt(logPath); err != nil {
		return err
	}
	if n.logs, err = raftboltdb.New(raftboltdb.Options{Path: logPath}); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, logPath, err)
	}
	hl := newHclog(n.log.Named("raft"))
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, hl)
	if err != nil {
		return fmt.Errorf("kv: snapshot store: %w", err)
	}
	// MaxRPCsInFlight 1 disables pipelined replication: its netPipeline can
	// deadlock when a follower answers Success=false (after a leadership
	// change) — the replication goroutine parks for ever, the follower gets
	// no more entries and Raft's Shutdown never returns (seen here as a hung
	// test; grafana/pyroscope#5518 describes the same). Raft's own docs say
	// pipelining brings little with batching.
	tc := &raft.NetworkTransportConfig{MaxPool: 3, Timeout: 10 * time.Second, Logger: hl, MaxRPCsInFlight: 1}
	if n.trans, err = raft.NewTCPTransportWithConfig(n.cfg.RaftAddr, nil, tc); err != nil {
		return fmt.Errorf("kv: raft transport on %s: %w", n.cfg.RaftAddr, err)
	}
	existing, err := raft.HasExistingState(n.logs, n.logs, snaps)
	if err != nil {
		return fmt.Errorf("kv: raft state: %w", err)
	}
	restore, err := snapshotAhead(snaps, n.fsm.applied.Load())
	if err != nil {
		return err
	}
	if restore {
		n.log.Warn("kv: the state machine is behind the newest snapshot (an install was cut short); restoring it")
	}
	if n.raft, err = raft.NewRaft(n.raftConfig(restore), n.fsm, n.logs, n.logs, snaps, n.trans); err != nil {
		return fmt.Errorf("kv: raft: %w", err)
	}
	if existing || !n.cfg.bootstraps() {
		return nil // restart, a replica, or a new node that waits to be added
	}
	var servers []raft.Server
	for _, p := range n.cfg.Peers {
		suffrage := raft.Voter
		if p.Replica {
			suffrage = raft.Nonvoter
		}
		servers = append(servers, raft.Server{ID: raft.ServerID(p.ID), Address: raft.ServerAddress(p.Addr), Suffrage: suffrage})
	}
	err = n.raft.BootstrapCluster(raft.Configuration{Servers: servers}).Error()
	if err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		return fmt.Errorf("kv: bootstrap: %w", err)
	}
	return nil
}

// snapshotAhead says whether the newest snapshot is past what the state
// machine has applied. The state machine is durable, so Raft is told not to
// restore a snapshot on start; but a follower that was killed, or whose
// Restore failed, while installing a snapshot from the leader has the
// snapshot on disk (Raft keeps it before the state machine restores it)
// and Raft takes its index as applied on restart: without a restore, the
// entries up to it would never reach this state machine. Restoring is
// always safe, only slower; the applied index may sit a few entries below
// a snapshot of its own (Raft's no-op entries never reach the state
// machine), which then costs a needless restore.
func snapshotAhead(snaps raft.SnapshotStore, applied uint64) (bool, error) {
	metas, err := snaps.List()
	if err != nil {
		return false, fmt.Errorf("kv: snapshot store: %w", err)
	}
	return len(metas) > 0 && metas[0].Index > applied, nil
}

// raftConfig is the node's Raft configuration; restore asks Raft to restore
// the newest snapshot on start (see snapshotAhead).
func (n *Node) raftConfig(restore bool) *raft.Config {
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(n.cfg.ID)
	rc.HeartbeatTimeout = n.cfg.HeartbeatTimeout
	rc.ElectionTimeout = n.cfg.ElectionTimeout
	rc.LeaderLeaseTimeout = n.cfg.LeaderLeaseTimeout
	rc.CommitTimeout = n.cfg.CommitTimeout
	rc.SnapshotThreshold = n.cfg.SnapshotThreshold
	rc.SnapshotInterval = n.cfg.SnapshotInterval
	rc.TrailingLogs = n.cfg.TrailingLogs
	rc.NoSnapshotRestoreOnStart = !restore // the bbolt state machine is durable: see fsm
	rc.Logger = newHclog(n.log.Named("raft"))
	rc.BatchApplyCh = true
	return rc
}

// Close stops the node gracefully: a leader hands leadership to another
// voter first, the workers drain (requests in flight answer, then
// DISCONNECT), Raft shuts down and the files are closed. ctx bounds the
// leadership transfer.
func (n *Node) Close(ctx context.Context) error {
	n.closeOnce.Do(func() {
		if n.raft.State() == raft.Leader && len(n.raft.GetConfiguration().Configuration().Servers) > 1 {
			f := n.raft.LeadershipTransfer()
			done := make(chan error, 1)
			go func() { done <- f.Error() }()
			select {
			case err := <-done:
				if err != nil {
					n.log.Warn("kv: leadership transfer failed", zap.Error(err))
				}
			case <-ctx.Done():
				n.log.Warn("kv: leadership transfer did not finish in time")
			}
		}
		n.closeErr = n.stop()
	})
	return n.closeErr
}

// stop ends the workers and Raft and closes the files.
func (n *Node) stop() error {
	n.cancel()
	<-n.leader
	n.wg.Wait() // the read gate: n.reads is set or never will be
	if n.reads != nil {
		n.reads.stop()
	}
	n.nodeSvc.stop()
	n.peerCl.Close()
	if err := n.shutdownRaft(); err != nil {
		// Raft's goroutines still run and may use the files: they stay
		// open, and the caller (mdkv) exits with the error.
		return err
	}
	return n.closeStores()
}

// raftShutdownTimeout bounds Raft's Shutdown, which waits for all of its
// goroutines: one stuck (a hashicorp/raft bug) must not hang Close.
const raftShutdownTimeout = 30 * time.Second

func (n *Node) shutdownRaft() error {
	f := n.raft.Shutdown()
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return err
	case <-time.After(raftShutdownTimeout):
		n.log.Error("kv: raft shutdown did not finish", zap.Duration("after", raftShutdownTimeout))
		return fmt.Errorf("%w: raft shutdown did not finish within %v", ErrClosed, raftShutdownTimeout)
	}
}

func (n *Node) closeStores() error {
	var errs []error
	if n.trans != nil {
		n.trans.CloseStreams() // the pooled connections: the peers' handlers of them end
		errs = append(errs, n.trans.Close())
	}
	if n.logs != nil {
		errs = append(errs, n.logs.Close())
	}
	if n.fsm != nil {
		errs = append(errs, n.fsm.close())
	}
	return errors.Join(errs...)
}

// Applied is the index of the last entry applied to this node's state
// machine. Raft's own no-op entry (a new leader's first) never reaches the
// state machine, but the barrier command the leader applies next does.
func (n *Node) Applied() uint64 { return n.fsm.applied.Load() }

// IsLeader reports whether this node is the Raft leader now.
func (n *Node) IsLeader() bool { return n.raft.State() == raft.Leader }

// ID is the node's Raft server ID.
func (n *Node) ID() string { return n.cfg.ID }
