package titanic

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.uber.org/zap"
)

// compactSlack is the file size, beyond twice MaxBytes, above which
// OpenStore compacts the store: bbolt never gives freed pages back to the
// file system, so a store whose bound was lowered, or that once held large
// replies, would otherwise keep its high-water size for ever.
const compactSlack = 1 << 20

// compactTxSize bounds the transactions of a compaction.
const compactTxSize = 4 << 20

func (s *Store) needsCompaction() bool {
	fi, err := os.Stat(s.path)
	return err == nil && fi.Size() > 2*s.maxBytes+compactSlack
}

// compact copies the live entries into a new file, fsyncs it, and renames it
// over the old one (then fsyncs the directory), so that a crash at any point
// leaves either the old file or the new one. s.db is closed on entry and
// open on a nil return.
func (s *Store) compact() error {
	start := time.Now()
	tmp := s.path + ".compact"
	os.Remove(tmp)
	src, err := openBolt(s.path, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		return err
	}
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		src.Close()
		return fmt.Errorf("titanic: compacting %s: %w", s.path, err)
	}
	err = bolt.Compact(dst, src, compactTxSize)
	src.Close()
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncFile(tmp)
	}
	if err == nil {
		err = os.Rename(tmp, s.path)
	}
	if err == nil {
		err = syncFile(filepath.Dir(s.path))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("titanic: compacting %s: %w", s.path, err)
	}
	s.log.Info("titanic: store compacted", zap.String("path", s.path), zap.Duration("took", time.Since(start)))
	return nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
