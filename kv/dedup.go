package kv

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// Retention of de-duplication entries. Both bounds are applied inside
// Apply, from the log alone (the entry count and the leader's stamp in each
// command), so every replica keeps exactly the same entries. They are
// constants, not settings: replicas configured differently would diverge.
const (
	DedupMaxEntries = 100_000
	DedupTTL        = 10 * time.Minute
	dedupPruneBatch = 64 // entries pruned at most per write, so a write's work is bounded
	// DedupValueMax bounds the current value kept in a stored cas-failed or
	// not-integer reply; a longer one is dropped from the stored copy (a
	// replay then carries an empty value), so the entries take at most
	// about DedupMaxEntries × 1 KiB.
	DedupValueMax = 1024
)

// dedupLimits are the bounds in force; tests shrink them.
type dedupLimits struct {
	max int
	ttl time.Duration
}

var defaultDedup = dedupLimits{max: DedupMaxEntries, ttl: DedupTTL}

// dedupEntry is a stored reply to a write, keyed by its request id.
type dedupEntry struct {
	Stamp  int64        `json:"stamp"`
	Result *WriteResult `json:"result"`
}

// dedupLookup returns the stored reply of request id, if any.
func dedupLookup(tx *bolt.Tx, id uuid.UUID) (*WriteResult, bool, error) {
	v := tx.Bucket(bucketDedup).Get(id[:])
	if v == nil {
		return nil, false, nil
	}
	var e dedupEntry
	if err := json.Unmarshal(v, &e); err != nil {
		return nil, false, err
	}
	return e.Result, true, nil
}

// dedupStore records the reply of request id, written at index idx, then
// prunes the oldest entries beyond the limits.
func dedupStore(tx *bolt.Tx, lim dedupLimits, id uuid.UUID, idx uint64, stamp int64, r *WriteResult) error {
	if len(r.Value) > DedupValueMax {
		c := *r
		c.Value = nil
		r = &c
	}
	v, err := json.Marshal(dedupEntry{Stamp: stamp, Result: r})
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketDedup).Put(id[:], v); err != nil {
		return err
	}
	if err := tx.Bucket(bucketDedupOrder).Put(u64(idx), id[:]); err != nil {
		return err
	}
	meta := tx.Bucket(bucketMeta)
	count := getUint(meta, keyDedupCount) + 1
	count, err = dedupPrune(tx, lim, count, stamp)
	if err != nil {
		return err
	}
	return putUint(meta, keyDedupCount, count)
}

// dedupPrune drops the oldest entries while there are more than lim.max or
// the oldest is older than lim.ttl before stamp, at most dedupPruneBatch of
// them. It returns the new count.
func dedupPrune(tx *bolt.Tx, lim dedupLimits, count uint64, stamp int64) (uint64, error) {
	order, dedup := tx.Bucket(bucketDedupOrder), tx.Bucket(bucketDedup)
	c := order.Cursor()
	for i := 0; i < dedupPruneBatch; i++ {
		k, id := c.First()
		if k == nil {
			break
		}
		if count <= uint64(lim.max) && !dedupExpired(dedup.Get(id), stamp, lim.ttl) {
			break
		}
		if err := dedup.Delete(id); err != nil {
			return count, err
		}
		if err := c.Delete(); err != nil {
			return count, err
		}
		count--
	}
	return count, nil
}

func dedupExpired(v []byte, stamp int64, ttl time.Duration) bool {
	var e dedupEntry
	if v == nil || json.Unmarshal(v, &e) != nil {
		return true // an order entry without its record: drop it
	}
	return stamp-e.Stamp > int64(ttl)
}
