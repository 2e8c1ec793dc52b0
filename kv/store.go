package kv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Buckets of the state machine's bbolt file.
var (
	bucketData       = []byte("data")        // key → version (8 bytes, big endian) · value
	bucketDedup      = []byte("dedup")       // request id → dedupEntry (JSON)
	bucketDedupOrder = []byte("dedup-order") // index (8 bytes) → request id, oldest first
	bucketMeta       = []byte("meta")        // keyApplied, keyDedupCount
	keyApplied       = []byte("applied")
	keyDedupCount    = []byte("dedup-count")
)

// openBolt opens a bbolt file, creating it when absent, and refuses one that
// fails bbolt's consistency check: a truncated or corrupt file is reported
// here, before anything is served from it.
func openBolt(path string, create bool) (*bolt.DB, error) {
	if !create {
		if _, err := os.Stat(path); err != nil {
			return nil, err
		}
	}
	if err := checkBolt(path); err != nil {
		return nil, err
	}
	// A large initial mmap: a write that must grow the map waits for every
	// read transaction, and a snapshot being streamed is one.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second, InitialMmapSize: 256 << 20})
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	return db, nil
}

// checkBolt runs bbolt's consistency check over an existing file (a new,
// absent one passes). bbolt reports what it finds, including panics on
// pages it cannot read, as errors on a channel.
func checkBolt(path string) (err error) {
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Size() == 0 {
		return fmt.Errorf("%w: %s: empty file", ErrCorrupt, path)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %s: %v", ErrCorrupt, path, r)
		}
	}()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		// Pages past the end of the file would fault when read: a file cut
		// short is refused before the check walks them.
		if tx.Size() > st.Size() {
			return fmt.Errorf("%w: %s: truncated: %d bytes, its pages need %d", ErrCorrupt, path, st.Size(), tx.Size())
		}
		var errs []error
		for e := range tx.Check() {
			if len(errs) < 5 {
				errs = append(errs, e)
			}
		}
		if len(errs) > 0 {
			return fmt.Errorf("%w: %s: %v", ErrCorrupt, path, errors.Join(errs...))
		}
		return nil
	})
}

// initBuckets makes the buckets of a new state machine file.
func initBuckets(db *bolt.DB) error {
	return db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketData, bucketDedup, bucketDedupOrder, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkBuckets refuses a file that is valid bbolt but not a state machine.
func checkBuckets(tx *bolt.Tx) error {
	for _, b := range [][]byte{bucketData, bucketDedup, bucketDedupOrder, bucketMeta} {
		if tx.Bucket(b) == nil {
			return fmt.Errorf("%w: bucket %q missing", ErrCorrupt, b)
		}
	}
	return nil
}

func getUint(b *bolt.Bucket, key []byte) uint64 {
	v := b.Get(key)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func putUint(b *bolt.Bucket, key []byte, n uint64) error {
	return b.Put(key, u64(n))
}

func u64(n uint64) []byte {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], n)
	return buf[:]
}

// decodeRecord splits a data value into version and value.
func decodeRecord(v []byte) (uint64, []byte, error) {
	if len(v) < 8 {
		return 0, nil, fmt.Errorf("%w: record of %d bytes", ErrCorrupt, len(v))
	}
	return binary.BigEndian.Uint64(v[:8]), v[8:], nil
}

func encodeRecord(version uint64, value []byte) []byte {
	out := make([]byte, 8+len(value))
	binary.BigEndian.PutUint64(out, version)
	copy(out[8:], value)
	return out
}
