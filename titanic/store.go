package titanic

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
	"go.uber.org/zap"
)

// StoreFile is the name of the bbolt file inside the data directory.
const StoreFile = "titanic.db"

// DefaultMaxBytes bounds the live bytes of a store opened without a bound.
const DefaultMaxBytes = 1 << 30

var (
	bucketRequests = []byte("requests")
	bucketResults  = []byte("results")
)

// State is where a stored request stands.
type State uint8

// The states. StateUnknown: no such UUID (never stored, closed, or removed
// by garbage collection).
const (
	StateUnknown State = iota
	statePending
	StateDone
	StateFailed
)

// StatePending is a request stored and not answered yet.
const StatePending = statePending

func (s State) String() string {
	switch s {
	case StatePending:
		return "pending"
	case StateDone:
		return "done"
	case StateFailed:
		return "failed"
	}
	return "unknown"
}

// StoreOptions tune a Store. Zero values mean the defaults.
type StoreOptions struct {
	// MaxBytes bounds the live bytes (keys and values) of stored requests at
	// the moment a request is accepted; see Store.Put.
	MaxBytes int64
	// NoGroupCommit makes every Put a transaction (and fsync) of its own,
	// instead of sharing one with the Puts that arrive meanwhile. For
	// measurements only.
	NoGroupCommit bool
	// BatchDelay is how long a group commit waits for more writes (bbolt's
	// MaxBatchDelay, default 2ms).
	BatchDelay time.Duration
	Logger     *zap.Logger
}

// DefaultBatchDelay is the group-commit window.
const DefaultBatchDelay = 2 * time.Millisecond

// Store is Titanic's durable store: bbolt in one file. Every write is
// committed, and fsynced, before the method returns; writes made at the same
// time by several goroutines share one commit (group commit). A Store is safe
// for use by many goroutines at once.
type Store struct {
	db       *bolt.DB
	path     string
	log      *zap.Logger
	maxBytes int64
	group    bool

	// live is the bytes of keys and values in both buckets; reserved the
	// bytes of Puts admitted and not yet committed.
	live, reserved atomic.Int64
	pending        atomic.Int64
	commits        commitStats
	putMu          sync.Mutex // admission: bound check and reservation
}

// OpenStore opens (or creates) the store in dir. It checks the whole file
// first: a damaged or truncated store is ErrCorrupt and is not opened.
func OpenStore(dir string, o StoreOptions) (*Store, error) {
	if o.MaxBytes < 0 || o.BatchDelay < 0 {
		return nil, fmt.Errorf("%w: MaxBytes and BatchDelay must not be negative", ErrConfig)
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.BatchDelay == 0 {
		o.BatchDelay = DefaultBatchDelay
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("titanic: data directory: %w", err)
	}
	path := filepath.Join(dir, StoreFile)
	if fi, err := os.Stat(path); err == nil && fi.Size() == 0 {
		return nil, fmt.Errorf("%w: %s is empty (truncated)", ErrCorrupt, path)
	}
	if err := checkHighWater(path); err != nil {
		return nil, err
	}
	os.Remove(path + ".compact") // left by a compaction that did not finish
	s := &Store{path: path, log: o.Logger, maxBytes: o.MaxBytes, group: !o.NoGroupCommit}
	if err := s.open(o.BatchDelay); err != nil {
		return nil, err
	}
	if s.needsCompaction() {
		s.db.Close()
		if err := s.compact(); err != nil {
			return nil, err
		}
		if err := s.open(o.BatchDelay); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// open opens the bbolt file and checks it (init).
func (s *Store) open(batchDelay time.Duration) error {
	db, err := openBolt(s.path, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	db.MaxBatchDelay = batchDelay
	s.db = db
	if err := s.init(); err != nil {
		db.Close()
		return err
	}
	return nil
}

// checkHighWater refuses a file shorter than the pages its meta page says
// it has: bbolt would read them through its memory map and the process would
// die of SIGBUS. Only the meta pages are read (read-only, without the free
// list).
func checkHighWater(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return nil // a new store
	}
	db, err := openBolt(path, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	var need int64
	if err := db.View(func(tx *bolt.Tx) error { need = tx.Size(); return nil }); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	if fi.Size() < need {
		return fmt.Errorf("%w: %s is truncated: %d bytes, its pages need %d", ErrCorrupt, path, fi.Size(), need)
	}
	return nil
}

func openBolt(path string, o *bolt.Options) (db *bolt.DB, err error) {
	defer func() {
		if p := recover(); p != nil {
			db, err = nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, p)
		}
	}()
	db, err = bolt.Open(path, 0o600, o)
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("%w: %s", ErrLocked, path)
	case err != nil:
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	return db, nil
}

// init creates the buckets, runs bbolt's consistency check and decodes every
// record, counting live and pending entries.
func (s *Store) init() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %s: %v", ErrCorrupt, s.path, p)
		}
	}()
	if err := s.db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketRequests); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(bucketResults)
		return err
	}); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, s.path, err)
	}
	return s.db.View(func(tx *bolt.Tx) error {
		var checkErr error
		for cerr := range tx.Check() { // drained to the end: Check's goroutine must finish
			if checkErr == nil {
				checkErr = fmt.Errorf("%w: %s: %v", ErrCorrupt, s.path, cerr)
			}
		}
		if checkErr != nil {
			return checkErr
		}
		var live, pending int64
		for _, name := range [][]byte{bucketRequests, bucketResults} {
			err := tx.Bucket(name).ForEach(func(k, v []byte) error {
				if len(k) != len(uuid.UUID{}) {
					return fmt.Errorf("%w: %s: key of %d bytes in %s", ErrCorrupt, s.path, len(k), name)
				}
				if _, err := decodeRecord(v); err != nil {
					return fmt.Errorf("%s: %s %x: %w", s.path, name, k, err)
				}
				live += int64(len(k) + len(v))
				if bytes.Equal(name, bucketRequests) {
					pending++
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		s.live.Store(live)
		s.pending.Store(pending)
		return nil
	})
}

// Close closes the file. Calls made afterwards fail with ErrClosed.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("titanic: closing the store: %w", err)
	}
	return nil
}

// Path is the store file's path.
func (s *Store) Path() string { return s.path }
