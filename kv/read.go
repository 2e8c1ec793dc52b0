package kv

import (
	"bytes"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

var zeroRID uuid.UUID

// get reads one key and the applied index in one transaction.
func (f *fsm) get(key []byte) (*GetResult, error) {
	res := &GetResult{Status: StatusNotFound}
	err := f.view(func(tx *bolt.Tx, applied uint64) error {
		res.Applied = applied
		v := tx.Bucket(bucketData).Get(key)
		if v == nil {
			return nil
		}
		ver, val, err := decodeRecord(v)
		if err != nil {
			return err
		}
		res.Status, res.Version, res.Value = StatusOK, ver, bytes.Clone(val)
		return nil
	})
	return res, err
}

// scan reads up to limit records whose keys start with prefix and come
// after the key after, bounded by MaxScanBytes; Next is set when more may
// follow.
func (f *fsm) scan(prefix, after []byte, limit int) (*ScanResult, error) {
	if limit <= 0 {
		limit = DefaultScan
	}
	res := &ScanResult{}
	err := f.view(func(tx *bolt.Tx, applied uint64) error {
		res.Applied = applied
		c := tx.Bucket(bucketData).Cursor()
		k, v := c.Seek(prefix)
		if len(after) > 0 && bytes.Compare(after, prefix) >= 0 {
			k, v = c.Seek(after)
			if bytes.Equal(k, after) {
				k, v = c.Next()
			}
		}
		size := 0
		for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			ver, val, err := decodeRecord(v)
			if err != nil {
				return err
			}
			size += len(k) + len(val)
			if len(res.Records) == limit || (size > MaxScanBytes && len(res.Records) > 0) {
				res.Next = bytes.Clone(res.Records[len(res.Records)-1].Key)
				return nil
			}
			res.Records = append(res.Records, Record{Key: bytes.Clone(k), Value: bytes.Clone(val), Version: ver})
		}
		return nil
	})
	return res, err
}
