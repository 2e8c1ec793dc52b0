package kv

import (
	"bytes"
	"math"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// applyWrite performs one write at Raft index idx inside tx and returns
// its reply. The key's version is the index of the write that last set it.
func applyWrite(tx *bolt.Tx, idx uint64, c *command) (*WriteResult, error) {
	data := tx.Bucket(bucketData)
	cur, found := data.Get(c.Key), false
	var curVer uint64
	var curVal []byte
	if cur != nil {
		var err error
		if curVer, curVal, err = decodeRecord(cur); err != nil {
			return nil, err
		}
		found = true
	}
	res := &WriteResult{Status: StatusOK, Index: idx}
	set := func(v []byte) error {
		res.Version = idx
		return data.Put(c.Key, encodeRecord(idx, v))
	}
	switch c.Op {
	case OpPut:
		return res, set(c.Value)
	case OpDelete:
		if !found {
			res.Status = StatusNotFound
			return res, nil
		}
		return res, data.Delete(c.Key)
	case OpCAS:
		if !casHolds(c, found, curVer, curVal) {
			res.Status, res.Version, res.Value = StatusCASFailed, curVer, bytes.Clone(curVal)
			return res, nil
		}
		return res, set(c.Value)
	case OpIncr:
		n, ok := addDecimal(curVal, found, c.Delta)
		if !ok {
			res.Status, res.Version, res.Value = StatusNotInteger, curVer, bytes.Clone(curVal)
			return res, nil
		}
		res.Value = []byte(strconv.FormatInt(n, 10))
		return res, set(res.Value)
	}
	// A command with an unknown op was never proposed by this version;
	// answer it without an effect rather than diverge.
	res.Status = StatusNotFound
	return res, nil
}

func casHolds(c *command, found bool, curVer uint64, curVal []byte) bool {
	if c.Mode == CASVersion {
		return (!found && c.Version == 0) || (found && curVer == c.Version)
	}
	return found && bytes.Equal(curVal, c.Expect)
}

// addDecimal adds delta to a signed decimal value (absent = 0); false when
// the value is not one or the sum overflows int64.
func addDecimal(v []byte, found bool, delta int64) (int64, bool) {
	var n int64
	if found {
		var err error
		if n, err = strconv.ParseInt(string(v), 10, 64); err != nil {
			return 0, false
		}
	}
	if (delta > 0 && n > math.MaxInt64-delta) || (delta < 0 && n < math.MinInt64-delta) {
		return 0, false
	}
	return n + delta, true
}
