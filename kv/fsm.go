package kv

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/raft"
	bolt "go.etcd.io/bbolt"
	"go.uber.org/zap"
)

// fsm is the replicated state machine: a bbolt file that holds the data,
// the de-duplication entries and the last applied Raft index, all changed
// in one transaction per batch of log entries. Because the applied index
// is stored with the effects, entries at or below it are skipped: Raft
// replays the log after its latest snapshot on restart (we set
// NoSnapshotRestoreOnStart, so it does not first roll the file back to the
// snapshot), and a replayed write must not apply twice.
type fsm struct {
	path  string
	dedup dedupLimits
	log   *zap.Logger

	mu sync.RWMutex // guards db against Restore's swap; readers hold it shared
	db *bolt.DB

	applied      atomic.Uint64
	lastSnapshot atomic.Int64 // unix ns of the last snapshot taken or restored by this process; 0: none
	waitMu       sync.Mutex
	changed      chan struct{} // closed and replaced whenever applied grows
}

// openFSM opens (or creates) the state machine file at path.
func openFSM(path string, log *zap.Logger) (*fsm, error) {
	db, err := openBolt(path, true)
	if err != nil {
		return nil, err
	}
	f := &fsm{path: path, dedup: defaultDedup, log: log, db: db, changed: make(chan struct{})}
	if err := f.load(); err != nil {
		db.Close()
		return nil, err
	}
	return f, nil
}

// load prepares a freshly opened db and reads its applied index.
func (f *fsm) load() error {
	if err := initBuckets(f.db); err != nil {
		return fmt.Errorf("kv: state machine %s: %w", f.path, err)
	}
	return f.db.View(func(tx *bolt.Tx) error {
		if err := checkBuckets(tx); err != nil {
			return err
		}
		f.applied.Store(getUint(tx.Bucket(bucketMeta), keyApplied))
		return nil
	})
}

func (f *fsm) close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.db.Close()
}

// Apply applies one entry; raft calls ApplyBatch instead when it can.
func (f *fsm) Apply(l *raft.Log) any { return f.ApplyBatch([]*raft.Log{l})[0] }

// ApplyBatch applies committed entries in one bbolt transaction (one fsync
// for the batch). The result of a write is its *WriteResult.
func (f *fsm) ApplyBatch(logs []*raft.Log) []any {
	out := make([]any, len(logs))
	f.mu.RLock()
	err := f.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		applied := getUint(meta, keyApplied)
		for i, l := range logs {
			if l.Index <= applied {
				continue // applied before a restart: its effect is in the file
			}
			if l.Type == raft.LogCommand {
				r, err := f.applyEntry(tx, l)
				if err != nil {
					return err
				}
				out[i] = r
			}
			applied = l.Index
		}
		return putUint(meta, keyApplied, applied)
	})
	f.mu.RUnlock()
	if err != nil {
		// The disk failed under the state machine: going on would let this
		// replica diverge from the others, so stop here, loudly.
		f.log.Error("kv: state machine write failed", zap.Error(err))
		panic(fmt.Sprintf("kv: state machine %s: %v", f.path, err))
	}
	f.advance(logs[len(logs)-1].Index)
	return out
}

// applyEntry applies one command, or answers it from the de-duplication
// entries when its request id was applied before.
func (f *fsm) applyEntry(tx *bolt.Tx, l *raft.Log) (*WriteResult, error) {
	c, err := decodeCommand(l.Data)
	if err != nil {
		f.log.Error("kv: skipped an undecodable log entry", zap.Uint64("index", l.Index), zap.Error(err))
		return nil, nil
	}
	if c.Op == opBarrier {
		return nil, nil
	}
	if c.RID != zeroRID {
		if r, ok, err := dedupLookup(tx, c.RID); err != nil || ok {
			return r, err
		}
	}
	r, err := applyWrite(tx, l.Index, c)
	if err != nil || c.RID == zeroRID {
		return r, err
	}
	return r, dedupStore(tx, f.dedup, c.RID, l.Index, c.Stamp, r)
}

// advance publishes a new applied index to waiting readers.
func (f *fsm) advance(idx uint64) {
	if idx <= f.applied.Load() {
		return
	}
	f.applied.Store(idx)
	f.waitMu.Lock()
	close(f.changed)
	f.changed = make(chan struct{})
	f.waitMu.Unlock()
}

// waitApplied blocks until the applied index reaches idx or ctx ends.
func (f *fsm) waitApplied(ctx context.Context, idx uint64) error {
	for {
		ch := f.changedCh()
		if f.applied.Load() >= idx {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// changedCh is closed when the applied index next grows.
func (f *fsm) changedCh() <-chan struct{} {
	f.waitMu.Lock()
	defer f.waitMu.Unlock()
	return f.changed
}

// view runs fn in a read transaction, with the applied index it sees.
func (f *fsm) view(fn func(tx *bolt.Tx, applied uint64) error) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.db.View(func(tx *bolt.Tx) error {
		return fn(tx, getUint(tx.Bucket(bucketMeta), keyApplied))
	})
}
