package kv

import "errors"

// Sentinel errors; test them with errors.Is.
var (
	// ErrBadRequest: a request whose frames do not follow spec/kv.md
	// (unknown op, missing or extra frames, a bad number, a key or value
	// over its limit). The server answers it with status 400.
	ErrBadRequest = errors.New("kv: bad request")
	// ErrBadReply: a reply whose frames do not follow spec/kv.md.
	ErrBadReply = errors.New("kv: malformed reply")
	// ErrNotFound: the key does not exist (reply status "not-found").
	ErrNotFound = errors.New("kv: key not found")
	// ErrCASFailed: a compare-and-set whose condition did not hold
	// (reply status "cas-failed"); nothing was written.
	ErrCASFailed = errors.New("kv: compare-and-set failed")
	// ErrNotInteger: incr on a value that is not a signed decimal integer,
	// or whose sum overflows int64 (reply status "not-integer").
	ErrNotInteger = errors.New("kv: value is not a decimal integer")
	// ErrCorrupt: a data file (state machine or Raft log) that does not
	// pass bbolt's consistency check; the node refuses to start on it.
	ErrCorrupt = errors.New("kv: corrupt data file")
	// ErrConfig: a Node Config that fails validation.
	ErrConfig = errors.New("kv: invalid config")
	// ErrClosed: the Node has been closed.
	ErrClosed = errors.New("kv: node closed")
)
