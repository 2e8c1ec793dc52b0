package titanic

import (
	"os"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// commitStats measures the store's commits: each is one bbolt transaction,
// written and fsynced (fdatasync of the data pages, then of the meta page).
type commitStats struct {
	mu      sync.Mutex
	lastTx  int
	commits uint64
	writes  uint64
	total   time.Duration
	max     time.Duration
}

// begin is called by every write function; the first one of a transaction
// starts its clock, and the transaction's commit hook stops it.
func (c *commitStats) begin(tx *bolt.Tx) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	if tx.ID() == c.lastTx {
		return
	}
	c.lastTx = tx.ID()
	start := time.Now()
	tx.OnCommit(func() {
		d := time.Since(start)
		c.mu.Lock()
		c.commits++
		c.total += d
		c.max = max(c.max, d)
		c.mu.Unlock()
	})
}

// StoreStats is a snapshot of a Store.
type StoreStats struct {
	Pending   int64 // requests stored and not answered yet
	LiveBytes int64 // keys and values of every entry, the quantity MaxBytes bounds
	MaxBytes  int64
	FileBytes int64 // the bbolt file's size on disk
	Writes    uint64
	Commits   uint64        // transactions committed and fsynced; Writes/Commits is the group-commit factor
	SyncTotal time.Duration // time from a transaction's first write to its commit, fsyncs included
	SyncMax   time.Duration
}

// Stats returns a snapshot of the store's counters.
func (s *Store) Stats() StoreStats {
	st := StoreStats{Pending: s.pending.Load(), LiveBytes: s.live.Load(), MaxBytes: s.maxBytes}
	if fi, err := os.Stat(s.path); err == nil {
		st.FileBytes = fi.Size()
	}
	s.commits.mu.Lock()
	st.Writes, st.Commits, st.SyncTotal, st.SyncMax = s.commits.writes, s.commits.commits, s.commits.total, s.commits.max
	s.commits.mu.Unlock()
	return st
}
