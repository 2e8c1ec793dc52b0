package kv

import (
	"fmt"
	"strconv"

	"github.com/google/uuid"
)

// Size limits of the wire format (spec/kv.md, "Limits").
const (
	MaxKeySize   = 1024      // bytes; keys are never empty
	MaxValueSize = 256 << 10 // bytes
	MaxScanLimit = 1000      // records in one scan reply
	MaxScanBytes = 1 << 20   // bytes of keys and values in one scan reply
	DefaultScan  = 100       // records when a scan asks for 0
	ridSize      = len(uuid.UUID{})
)

// Op names, frame 0 of every request.
const (
	OpGet    = "get"
	OpScan   = "scan"
	OpStatus = "status"
	OpPut    = "put"
	OpDelete = "del"
	OpCAS    = "cas"
	OpIncr   = "incr"
)

// CAS modes: what a cas compares.
const (
	CASValue   = "value"   // the current value equals Expect (an absent key never matches)
	CASVersion = "version" // the current version equals Expect (0: the key is absent)
)

// Request is one parsed request (spec/kv.md, "Requests"). Fields that an
// op does not carry are zero.
type Request struct {
	Op       string
	RID      uuid.UUID // writes: the idempotency key; zero = use the MDP request UUID
	Key      []byte    // scan: the prefix
	Value    []byte    // put and cas: the new value
	Mode     string    // cas: CASValue or CASVersion
	Expect   []byte    // cas on value: the expected value
	Version  uint64    // cas on version: the expected version
	Delta    int64     // incr
	Limit    int       // scan: records wanted (0: DefaultScan)
	After    []byte    // scan: continue after this key
	MinIndex uint64    // get and scan: wait until this index is applied
	Node     string    // transfer, add, remove: the node's Raft ID
	Addr     string    // add: its Raft host:port
	Replica  bool      // add: as a non-voter
}

// IsWrite reports whether the op changes the store (and goes through Raft).
func (r *Request) IsWrite() bool {
	switch r.Op {
	case OpPut, OpDelete, OpCAS, OpIncr:
		return true
	}
	return false
}

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
}

// ParseRequest reads a request's body frames.
func ParseRequest(frames [][]byte) (*Request, error) {
	if len(frames) == 0 {
		return nil, badRequest("no op frame")
	}
	r := &Request{Op: string(frames[0])}
	args := frames[1:]
	var err error
	switch r.Op {
	case OpGet:
		err = r.parseGet(args)
	case OpScan:
		err = r.parseScan(args)
	case OpStatus:
		err = wantFrames(r.Op, args, 0, 0)
	case OpPut, OpDelete, OpCAS, OpIncr:
		err = r.parseWrite(args)
	case OpTransfer, OpAdd, OpRemove:
		err = r.parseAdmin(args)
	default:
		return nil, badRequest("unknown op %q", truncate(frames[0]))
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Request) parseGet(args [][]byte) (err error) {
	if err = wantFrames(r.Op, args, 1, 2); err != nil {
		return err
	}
	if r.Key, err = checkKey(args[0]); err != nil {
		return err
	}
	if len(args) == 2 {
		r.MinIndex, err = parseUint("min-index", args[1])
	}
	return err
}

func (r *Request) parseScan(args [][]byte) (err error) {
	if err = wantFrames(r.Op, args, 3, 4); err != nil {
		return err
	}
	if len(args[0]) > MaxKeySize || len(args[2]) > MaxKeySize {
		return badRequest("scan prefix or after-key over %d bytes", MaxKeySize)
	}
	r.Key, r.After = args[0], args[2]
	limit, err := parseUint("limit", args[1])
	if err != nil {
		return err
	}
	if limit > MaxScanLimit {
		return badRequest("scan limit %d over %d", limit, MaxScanLimit)
	}
	r.Limit = int(limit)
	if len(args) == 4 {
		r.MinIndex, err = parseUint("min-index", args[3])
	}
	return err
}

// writeArgs: frames after op and rid, per write op.
var writeArgs = map[string]int{OpPut: 2, OpDelete: 1, OpCAS: 4, OpIncr: 2}

func (r *Request) parseWrite(args [][]byte) (err error) {
	n := writeArgs[r.Op] + 1
	if err = wantFrames(r.Op, args, n, n); err != nil {
		return err
	}
	switch len(args[0]) {
	case 0:
	case ridSize:
		copy(r.RID[:], args[0])
	default:
		return badRequest("request id of %d bytes: want 0 or %d", len(args[0]), ridSize)
	}
	if r.Key, err = checkKey(args[1]); err != nil {
		return err
	}
	switch r.Op {
	case OpPut:
		r.Value, err = checkValue(args[2])
	case OpIncr:
		r.Delta, err = strconv.ParseInt(string(args[2]), 10, 64)
		if err != nil {
			err = badRequest("incr delta %q is not a signed decimal integer", truncate(args[2]))
		}
	case OpCAS:
		err = r.parseCAS(args[2:])
	}
	return err
}

func (r *Request) parseCAS(args [][]byte) (err error) {
	r.Mode = string(args[0])
	switch r.Mode {
	case CASValue:
		r.Expect, err = checkValue(args[1])
	case CASVersion:
		r.Version, err = parseUint("expected version", args[1])
	default:
		return badRequest("cas mode %q: want %q or %q", truncate(args[0]), CASValue, CASVersion)
	}
	if err != nil {
		return err
	}
	r.Value, err = checkValue(args[2])
	return err
}

// Frames encodes the request as body frames; ParseRequest(r.Frames())
// gives r back.
func (r *Request) Frames() [][]byte {
	if r.IsAdmin() {
		return r.adminFrames()
	}
	f := [][]byte{[]byte(r.Op)}
	switch r.Op {
	case OpGet:
		f = append(f, r.Key)
		if r.MinIndex > 0 {
			f = append(f, uintFrame(r.MinIndex))
		}
	case OpScan:
		f = append(f, r.Key, []byte(strconv.Itoa(r.Limit)), r.After)
		if r.MinIndex > 0 {
			f = append(f, uintFrame(r.MinIndex))
		}
	case OpPut, OpDelete, OpCAS, OpIncr:
		var rid []byte
		if r.RID != (uuid.UUID{}) {
			rid = r.RID[:]
		}
		f = append(f, rid, r.Key)
		switch r.Op {
		case OpPut:
			f = append(f, r.Value)
		case OpIncr:
			f = append(f, []byte(strconv.FormatInt(r.Delta, 10)))
		case OpCAS:
			exp := r.Expect
			if r.Mode == CASVersion {
				exp = uintFrame(r.Version)
			}
			f = append(f, []byte(r.Mode), exp, r.Value)
		}
	}
	return f
}

func wantFrames(op string, args [][]byte, lo, hi int) error {
	if len(args) < lo || len(args) > hi {
		if lo == hi {
			return badRequest("%s takes %d frames after the op, got %d", op, lo, len(args))
		}
		return badRequest("%s takes %d to %d frames after the op, got %d", op, lo, hi, len(args))
	}
	return nil
}

func checkKey(k []byte) ([]byte, error) {
	switch {
	case len(k) == 0:
		return nil, badRequest("empty key")
	case len(k) > MaxKeySize:
		return nil, badRequest("key of %d bytes over %d", len(k), MaxKeySize)
	}
	return k, nil
}

func checkValue(v []byte) ([]byte, error) {
	if len(v) > MaxValueSize {
		return nil, badRequest("value of %d bytes over %d", len(v), MaxValueSize)
	}
	return v, nil
}

// parseUint reads an unsigned decimal number: digits only, no sign, at
// most 20 of them.
func parseUint(what string, b []byte) (uint64, error) {
	n, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil || len(b) == 0 || b[0] == '+' {
		return 0, badRequest("%s %q is not an unsigned decimal number", what, truncate(b))
	}
	return n, nil
}

func uintFrame(n uint64) []byte { return []byte(strconv.FormatUint(n, 10)) }

// truncate keeps error texts short whatever a client sends.
func truncate(b []byte) string {
	if len(b) > 32 {
		return string(b[:32]) + "..."
	}
	return string(b)
}
