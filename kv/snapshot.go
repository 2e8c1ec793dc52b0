package kv

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/raft"
	bolt "go.etcd.io/bbolt"
	"go.uber.org/zap"
)

// snapshot streams a consistent copy of the bbolt file from a read
// transaction opened in Snapshot (on the FSM goroutine, so it sees exactly
// the applied entries); Persist runs while writes go on.
type snapshot struct {
	tx  *bolt.Tx
	fsm *fsm
}

// Snapshot opens the read transaction that Persist will stream.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	tx, err := f.db.Begin(false)
	if err != nil {
		return nil, fmt.Errorf("kv: snapshot: %w", err)
	}
	return &snapshot{tx: tx, fsm: f}, nil
}

// Persist writes the whole file to the sink, page by page (tx.WriteTo),
// never holding the state in memory.
func (s *snapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := s.tx.WriteTo(sink); err != nil {
		sink.Cancel()
		return fmt.Errorf("kv: snapshot: %w", err)
	}
	if err := sink.Close(); err != nil {
		return err
	}
	s.fsm.lastSnapshot.Store(time.Now().UnixNano())
	return nil
}

// Release ends the read transaction.
func (s *snapshot) Release() { _ = s.tx.Rollback() }

// Restore replaces the state with a snapshot stream: written to a temporary
// file, fsynced, checked, then renamed over the state machine file (and the
// directory fsynced), and reopened.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	tmp := f.path + ".restore"
	if err := writeSynced(tmp, rc); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("kv: restore: %w", err)
	}
	if err := checkBolt(tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("kv: restore: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.db.Close(); err != nil {
		return fmt.Errorf("kv: restore: %w", err)
	}
	if err := os.Rename(tmp, f.path); err != nil {
		return fmt.Errorf("kv: restore: %w", err)
	}
	if err := syncDir(filepath.Dir(f.path)); err != nil {
		return fmt.Errorf("kv: restore: %w", err)
	}
	db, err := openBolt(f.path, false)
	if err != nil {
		return fmt.Errorf("kv: restore: %w", err)
	}
	f.db = db
	old := f.applied.Load()
	if err := f.load(); err != nil {
		return fmt.Errorf("kv: restore: %w", err)
	}
	f.log.Info("kv: state restored from a snapshot", zap.Uint64("applied", f.applied.Load()), zap.Uint64("was", old))
	f.lastSnapshot.Store(time.Now().UnixNano())
	f.waitMu.Lock()
	close(f.changed)
	f.changed = make(chan struct{})
	f.waitMu.Unlock()
	return nil
}

func writeSynced(path string, r io.Reader) error {
	out, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
