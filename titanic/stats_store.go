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
	cur     *time.Time // when the current transaction's latest write ran
	commits uint64
	writes  uint64
	total   time.Duration
	max     time.Duration
}

// begin is called by every write function. The commit hook of the
// transaction measures from its last write to the end of its commit: the
// time bbolt takes to write and fsync, without the group-commit wait.
func (c *commitStats) begin(tx *bolt.Tx) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	now := time.Now()
	if tx.ID() == c.lastTx && c.cur != nil {
		*c.cur = now
		return
	}
	c.lastTx = tx.ID()
	last := &now
	c.cur = last
	tx.OnCommit(func() {
		c.mu.Lock()
		d := time.Since(*last)
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
	SyncTotal time.Duration // time of the commits (from a transaction's last write to the end of its fsyncs)
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
