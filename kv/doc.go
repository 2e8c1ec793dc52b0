// Package kv is mdkv, majordomo's replicated key-value store: the
// read/write model of the architecture on one Raft group
// (hashicorp/raft, its log on raft-boltdb, the state machine on bbolt).
// A Node is one member; the Raft leader serves STORE.write, every node
// serves STORE.node.ID and, once caught up, STORE.read, all through the
// broker with the worker SDK. Client speaks the protocol (spec/kv.md) over
// the client SDK. A node has a Group (a location) and a Role: RoleVoter
// may lead, RoleReplica is a Raft non-voter that follows and serves reads
// only; STORE.read registers in tier 1 in the brokers' group (LocalGroup)
// and tier 2 elsewhere. Client.Transfer, AddNode and RemoveNode administer
// the store; Config.AdminAddr serves /metrics, /livez and /readyz.
//
//	cfg := kv.DefaultConfig()
//	cfg.Store, cfg.ID, cfg.DataDir, cfg.RaftAddr = "kv", "a", "/var/lib/mdkv/a", "10.0.0.1:7000"
//	cfg.Brokers = []string{"tcp://10.0.0.9:5555"}
//	cfg.Peers, _ = kv.ParsePeers("a=10.0.0.1:7000,b=10.0.0.2:7000,c=10.0.0.3:7000")
//	n, err := kv.Start(cfg) // bootstraps on an empty DataDir, rejoins otherwise
//	if err != nil { ... }   // kv.ErrCorrupt: a damaged data file, never served
//	defer n.Close(ctx)      // hands leadership over, drains the workers
//
//	kc := kv.NewClient(c, "kv") // c is a *clients.Client
//	w, err := kc.Put(ctx, []byte("k"), []byte("v"))
//	g, err := kc.Get(ctx, []byte("k"), kv.MinIndex(w.Index)) // read your write on any node
//
// # Guarantees
//
//   - A write is acknowledged once a majority has it in its fsynced log and
//     the leader has applied it: failover never loses an acknowledged write.
//   - Exactly once: a write's request id (the body's, or else the MDP
//     request UUID) is stored in the same bbolt transaction as its effect;
//     a retry with the same id, on any node, after any failover or restart,
//     gets the original reply and changes nothing. Entries are kept for
//     DedupTTL and at most DedupMaxEntries, pruned inside Apply from the log
//     alone, so all replicas prune alike.
//   - The state machine stores the last applied index with each batch of
//     effects and skips entries at or below it, so the log replayed after a
//     restart does not apply a write twice.
//   - Reads on STORE.read are stale by default and say how stale (applied
//     index, last contact with the leader); min-index waits for an index
//     within the deadline (504 after it); a read sent to STORE.write is
//     linearizable (commit index, VerifyLeader, wait until applied).
//   - STORE.read is registered only once the node is within CatchUpLag
//     entries of the leader's commit index: no client reads an empty or
//     far-behind node. A node cut off later keeps serving, labelled stale;
//     with MaxStaleness it answers 503 once the leader is silent longer.
//   - A replica never leads and never counts for quorum.
//   - A node refuses to start on a data file that fails bbolt's
//     consistency check (ErrCorrupt).
//   - Snapshots stream the bbolt file (tx.WriteTo); a restore writes the
//     stream to a temporary file, fsyncs it, checks it and renames it in.
package kv
