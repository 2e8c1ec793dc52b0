package titanic

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Entry is a stored request.
type Entry struct {
	UUID     uuid.UUID
	Service  string
	Body     [][]byte
	Created  time.Time
	Deadline time.Time // when the request is given up and answered as failed
}

// Result is what titanic.reply reports for a UUID.
type Result struct {
	State    State
	Body     [][]byte  // StateDone: the service's reply
	Text     string    // StateFailed: why ("expired", or the service's 4xx status line)
	Finished time.Time // StateDone, StateFailed
}

// keySize is the bytes of a key (a raw UUID) counted in the live bytes.
const keySize = int64(len(uuid.UUID{}))

// write runs fn in a writable transaction, shared with concurrent writers
// unless group commit is off; it returns once the transaction is fsynced.
func (s *Store) write(fn func(*bolt.Tx) error) error {
	wrapped := func(tx *bolt.Tx) error {
		s.commits.begin(tx)
		return fn(tx)
	}
	var err error
	if s.group {
		err = s.db.Batch(wrapped)
	} else {
		err = s.db.Update(wrapped)
	}
	return s.mapErr(err)
}

func (s *Store) mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bolterrors.ErrDatabaseNotOpen):
		return ErrClosed
	default:
		return fmt.Errorf("titanic: store %s: %w", s.path, err)
	}
}

// Put stores a request durably: when it returns nil the request is on disk
// (fsynced). It refuses with ErrFull, storing nothing, when the live bytes of
// the store plus this request would exceed MaxBytes. Replies are stored
// whatever the bound (their requests were accepted), so the live bytes may
// pass MaxBytes by the size of the replies of requests still pending.
// Putting a UUID that is already stored changes nothing.
func (s *Store) Put(e Entry) error {
	v := (&record{state: statePending, a: e.Created, b: e.Deadline, text: e.Service, frames: e.Body}).encode()
	size := keySize + int64(len(v))
	s.putMu.Lock()
	if used := s.live.Load() + s.reserved.Load(); used+size > s.maxBytes {
		s.putMu.Unlock()
		return fmt.Errorf("%w: %d live bytes + %d > bound %d", ErrFull, used, size, s.maxBytes)
	}
	s.reserved.Add(size)
	s.putMu.Unlock()
	defer s.reserved.Add(-size)
	var existed bool
	err := s.write(func(tx *bolt.Tx) error {
		reqs := tx.Bucket(bucketRequests)
		existed = reqs.Get(e.UUID[:]) != nil || tx.Bucket(bucketResults).Get(e.UUID[:]) != nil
		if existed {
			return nil
		}
		return reqs.Put(e.UUID[:], v)
	})
	if err != nil || existed {
		return err
	}
	s.live.Add(size)
	s.pending.Add(1)
	return nil
}

// Lookup says where a UUID stands; a finished one comes with its result.
func (s *Store) Lookup(id uuid.UUID) (Result, error) {
	var res Result
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketResults).Get(id[:]); v != nil {
			r, err := decodeRecord(v)
			if err != nil {
				return err
			}
			res = Result{State: r.state, Body: r.frames, Text: r.text, Finished: r.a}
			return nil
		}
		if tx.Bucket(bucketRequests).Get(id[:]) != nil {
			res.State = StatePending
		}
		return nil
	})
	return res, s.mapErr(err)
}

// Request reads a pending request; ok is false when it is no longer pending.
func (s *Store) Request(id uuid.UUID) (e Entry, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketRequests).Get(id[:])
		if v == nil {
			return nil
		}
		r, err := decodeRecord(v)
		if err != nil {
			return err
		}
		e, ok = Entry{UUID: id, Service: r.text, Body: r.frames, Created: r.a, Deadline: r.b}, true
		return nil
	})
	return e, ok, s.mapErr(err)
}

// Finish records the result of a pending request and drops its request
// frames, durably. It does nothing (false) when the request is no longer
// pending: closed by its client, or finished already.
func (s *Store) Finish(id uuid.UUID, res Result) (bool, error) {
	var done bool
	var delta int64
	err := s.write(func(tx *bolt.Tx) error {
		done, delta = false, 0
		reqs := tx.Bucket(bucketRequests)
		old := reqs.Get(id[:])
		if old == nil {
			return nil
		}
		r, err := decodeRecord(old)
		if err != nil {
			return err
		}
		v := (&record{state: res.State, a: res.Finished, b: r.b, text: res.Text, frames: res.Body}).encode()
		delta = int64(len(v)) - int64(len(old))
		if err := tx.Bucket(bucketResults).Put(id[:], v); err != nil {
			return err
		}
		done = true
		return reqs.Delete(id[:])
	})
	if err != nil || !done {
		return false, err
	}
	s.live.Add(delta)
	s.pending.Add(-1)
	return true, nil
}

// Remove deletes a UUID, pending or finished (titanic.close). Removing an
// unknown UUID is not an error.
func (s *Store) Remove(id uuid.UUID) error {
	var freed, wasPending int64
	err := s.write(func(tx *bolt.Tx) error {
		freed, wasPending = 0, 0
		for _, name := range [][]byte{bucketRequests, bucketResults} {
			b := tx.Bucket(name)
			if v := b.Get(id[:]); v != nil {
				freed += keySize + int64(len(v))
				if bytes.Equal(name, bucketRequests) {
					wasPending = 1
				}
				if err := b.Delete(id[:]); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.live.Add(-freed)
	s.pending.Add(-wasPending)
	return nil
}

// Pending lists the stored requests not answered yet (without their
// bodies), for the dispatcher to take up after a restart.
func (s *Store) Pending() ([]Entry, error) {
	var out []Entry
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRequests).ForEach(func(k, v []byte) error {
			r, err := decodeRecord(v)
			if err != nil {
				return err
			}
			out = append(out, Entry{UUID: uuid.UUID(k), Service: r.text, Created: r.a, Deadline: r.b})
			return nil
		})
	})
	return out, s.mapErr(err)
}

// Sweep removes the results that finished before cutoff (their clients
// never closed them) and returns how many it removed.
func (s *Store) Sweep(cutoff time.Time) (int, error) {
	var n int
	var freed int64
	err := s.db.Update(func(tx *bolt.Tx) error {
		n, freed = 0, 0
		b := tx.Bucket(bucketResults)
		var old [][]byte
		err := b.ForEach(func(k, v []byte) error {
			r, err := decodeRecord(v)
			if err != nil {
				return err
			}
			if r.a.Before(cutoff) {
				old = append(old, append([]byte{}, k...))
				freed += int64(len(k) + len(v))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(old)
		return nil
	})
	if err != nil {
		return 0, s.mapErr(err)
	}
	s.live.Add(-freed)
	return n, nil
}
