package kv

import (
	"fmt"
	"strconv"
	"time"
)

// Reply status words, frame 0 of every reply (spec/kv.md, "Replies").
const (
	StatusOK         = "ok"
	StatusNotFound   = "not-found"
	StatusCASFailed  = "cas-failed"
	StatusNotInteger = "not-integer"
)

// statusErr maps a reply status to its sentinel (nil for ok).
func statusErr(s string) (error, bool) {
	switch s {
	case StatusOK:
		return nil, true
	case StatusNotFound:
		return ErrNotFound, true
	case StatusCASFailed:
		return ErrCASFailed, true
	case StatusNotInteger:
		return ErrNotInteger, true
	}
	return nil, false
}

// WriteResult is the reply to put, del, cas and incr.
type WriteResult struct {
	Status  string
	Index   uint64 // the Raft index of the write: pass it as a read's min-index
	Version uint64 // the key's version after the write (0: absent); cas-failed: the current one
	Value   []byte // incr: the new value; cas-failed and not-integer: the current value
}

// Frames encodes the reply: status · index · version · value.
func (w *WriteResult) Frames() [][]byte {
	return [][]byte{[]byte(w.Status), uintFrame(w.Index), uintFrame(w.Version), w.Value}
}

// ParseWriteResult decodes a write reply.
func ParseWriteResult(f [][]byte) (*WriteResult, error) {
	if len(f) != 4 {
		return nil, badReply("write reply of %d frames, want 4", len(f))
	}
	w := &WriteResult{Status: string(f[0]), Value: f[3]}
	if _, ok := statusErr(w.Status); !ok {
		return nil, badReply("unknown status %q", truncate(f[0]))
	}
	var err error
	if w.Index, err = replyUint(f[1]); err != nil {
		return nil, err
	}
	if w.Version, err = replyUint(f[2]); err != nil {
		return nil, err
	}
	return w, nil
}

// Staleness says how current a read was: the node's applied index and the
// time since it last heard from the leader (0 on the leader; -1 when it
// never has).
type Staleness struct {
	Applied     uint64
	LastContact time.Duration
}

func (s Staleness) frames() [][]byte {
	ms := int64(-1)
	if s.LastContact >= 0 {
		ms = s.LastContact.Milliseconds()
	}
	return [][]byte{uintFrame(s.Applied), []byte(strconv.FormatInt(ms, 10))}
}

func parseStaleness(applied, contact []byte) (Staleness, error) {
	a, err := replyUint(applied)
	if err != nil {
		return Staleness{}, err
	}
	ms, err := strconv.ParseInt(string(contact), 10, 64)
	if err != nil || ms < -1 {
		return Staleness{}, badReply("last contact %q is not a number of ms or -1", truncate(contact))
	}
	s := Staleness{Applied: a, LastContact: -1}
	if ms >= 0 {
		s.LastContact = time.Duration(ms) * time.Millisecond
	}
	return s, nil
}

// GetResult is the reply to get.
type GetResult struct {
	Status  string // ok or not-found
	Value   []byte
	Version uint64
	Staleness
}

// Frames encodes the reply: status · value · version · applied · last-contact-ms.
func (g *GetResult) Frames() [][]byte {
	return append([][]byte{[]byte(g.Status), g.Value, uintFrame(g.Version)}, g.Staleness.frames()...)
}

// ParseGetResult decodes a get reply.
func ParseGetResult(f [][]byte) (*GetResult, error) {
	if len(f) != 5 {
		return nil, badReply("get reply of %d frames, want 5", len(f))
	}
	g := &GetResult{Status: string(f[0]), Value: f[1]}
	if g.Status != StatusOK && g.Status != StatusNotFound {
		return nil, badReply("get status %q", truncate(f[0]))
	}
	var err error
	if g.Version, err = replyUint(f[2]); err != nil {
		return nil, err
	}
	g.Staleness, err = parseStaleness(f[3], f[4])
	return g, err
}

// Record is one key of a scan.
type Record struct {
	Key     []byte
	Value   []byte
	Version uint64
}

// ScanResult is the reply to scan.
type ScanResult struct {
	Records []Record
	Next    []byte // pass as After to continue; empty when the prefix is exhausted
	Staleness
}

// Frames encodes the reply: ok · applied · last-contact-ms · next · then
// key · value · version per record.
func (s *ScanResult) Frames() [][]byte {
	f := append([][]byte{[]byte(StatusOK)}, s.Staleness.frames()...)
	f = append(f, s.Next)
	for _, r := range s.Records {
		f = append(f, r.Key, r.Value, uintFrame(r.Version))
	}
	return f
}

// ParseScanResult decodes a scan reply.
func ParseScanResult(f [][]byte) (*ScanResult, error) {
	if len(f) < 4 || (len(f)-4)%3 != 0 || string(f[0]) != StatusOK {
		return nil, badReply("scan reply of %d frames: want ok · applied · last-contact · next · triples", len(f))
	}
	st, err := parseStaleness(f[1], f[2])
	if err != nil {
		return nil, err
	}
	s := &ScanResult{Staleness: st, Next: f[3], Records: make([]Record, 0, (len(f)-4)/3)}
	for i := 4; i < len(f); i += 3 {
		v, err := replyUint(f[i+2])
		if err != nil {
			return nil, err
		}
		s.Records = append(s.Records, Record{Key: f[i], Value: f[i+1], Version: v})
	}
	return s, nil
}

func badReply(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadReply, fmt.Sprintf(format, args...))
}

func replyUint(b []byte) (uint64, error) {
	n, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0, badReply("%q is not an unsigned decimal number", truncate(b))
	}
	return n, nil
}
