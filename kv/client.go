package kv

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/mdp"
)

// Client speaks the store's protocol over a clients.Client. It is safe for
// concurrent use. Writes carry a request id of their own in the body
// (spec/kv.md): the Client retries a write whose outcome is unknown (the
// leader changed, every attempt timed out) with the same id until ctx ends,
// and the store applies it once.
type Client struct {
	c       *clients.Client
	store   string
	backoff time.Duration
}

// NewClient returns a Client for the store named store over c; c stays the
// caller's to close.
func NewClient(c *clients.Client, store string) *Client {
	return &Client{c: c, store: store, backoff: 20 * time.Millisecond}
}

// ReadOption chooses the consistency of a read.
type ReadOption func(*Request, *bool)

// MinIndex makes the read wait until the node has applied index idx (a
// write's WriteResult.Index: read-your-writes), bounded by ctx's deadline;
// it fails with a 504 (clients.ErrTimeout) when the deadline passes first.
func MinIndex(idx uint64) ReadOption { return func(r *Request, _ *bool) { r.MinIndex = idx } }

// Linearizable sends the read to the leader, which confirms its leadership
// and serves it once it has applied every committed write.
func Linearizable() ReadOption { return func(_ *Request, lin *bool) { *lin = true } }

// Condition is what a CAS compares; make one with IfValue or IfVersion.
type Condition struct {
	mode    string
	value   []byte
	version uint64
}

// IfValue holds when the key exists with this value.
func IfValue(v []byte) Condition { return Condition{mode: CASValue, value: v} }

// IfVersion holds when the key's version is v (0: the key is absent).
func IfVersion(v uint64) Condition { return Condition{mode: CASVersion, version: v} }

// Get reads a key. A missing key gives ErrNotFound with the result (and
// its staleness) still returned.
func (k *Client) Get(ctx context.Context, key []byte, opts ...ReadOption) (*GetResult, error) {
	r, lin := readRequest(&Request{Op: OpGet, Key: key}, opts)
	reply, err := k.call(ctx, lin, r)
	if err != nil {
		return nil, err
	}
	res, err := ParseGetResult(reply)
	if err != nil {
		return nil, err
	}
	if res.Status == StatusNotFound {
		return res, ErrNotFound
	}
	return res, nil
}

// Scan reads up to limit keys that start with prefix, after the key after
// (nil: from the start); pass the result's Next as after to continue.
func (k *Client) Scan(ctx context.Context, prefix, after []byte, limit int, opts ...ReadOption) (*ScanResult, error) {
	r, lin := readRequest(&Request{Op: OpScan, Key: prefix, After: after, Limit: limit}, opts)
	reply, err := k.call(ctx, lin, r)
	if err != nil {
		return nil, err
	}
	return ParseScanResult(reply)
}

// Status asks one node (any) for its status.
func (k *Client) Status(ctx context.Context) (*NodeStatus, error) {
	return k.status(ctx, k.store+".read")
}

// NodeStatus asks the node with this ID for its status (service
// STORE.node.ID).
func (k *Client) NodeStatus(ctx context.Context, id string) (*NodeStatus, error) {
	return k.status(ctx, k.store+".node."+id)
}

func (k *Client) status(ctx context.Context, service string) (*NodeStatus, error) {
	reply, err := k.c.Request(ctx, service, []byte(OpStatus))
	if err != nil {
		return nil, serviceErr(err)
	}
	return ParseStatus(reply)
}

// Put sets a key.
func (k *Client) Put(ctx context.Context, key, value []byte) (*WriteResult, error) {
	return k.write(ctx, &Request{Op: OpPut, Key: key, Value: value})
}

// Delete removes a key; ErrNotFound when it was absent.
func (k *Client) Delete(ctx context.Context, key []byte) (*WriteResult, error) {
	return k.write(ctx, &Request{Op: OpDelete, Key: key})
}

// CAS sets key to value if cond holds; ErrCASFailed (with the current
// version and value in the result) when it does not.
func (k *Client) CAS(ctx context.Context, key []byte, cond Condition, value []byte) (*WriteResult, error) {
	return k.write(ctx, &Request{Op: OpCAS, Key: key, Mode: cond.mode, Expect: cond.value, Version: cond.version, Value: value})
}

// Incr adds delta to the signed decimal value of key (absent: 0) and
// returns the new value; ErrNotInteger when the value is not one.
func (k *Client) Incr(ctx context.Context, key []byte, delta int64) (int64, *WriteResult, error) {
	res, err := k.write(ctx, &Request{Op: OpIncr, Key: key, Delta: delta})
	if err != nil {
		return 0, res, err
	}
	var n int64
	if _, err := fmt.Sscan(string(res.Value), &n); err != nil {
		return 0, res, badReply("incr value %q", truncate(res.Value))
	}
	return n, res, nil
}

func (k *Client) write(ctx context.Context, r *Request) (*WriteResult, error) {
	r.RID = uuid.New()
	if _, err := ParseRequest(r.Frames()); err != nil {
		return nil, err
	}
	reply, err := k.call(ctx, true, r)
	if err != nil {
		return nil, err
	}
	res, err := ParseWriteResult(reply)
	if err != nil {
		return nil, err
	}
	serr, _ := statusErr(res.Status)
	return res, serr
}

// Transfer moves leadership to the voter id (a planned switchover): the
// old leader becomes a follower, writes in flight meanwhile are retried.
func (k *Client) Transfer(ctx context.Context, id string) error {
	return k.admin(ctx, &Request{Op: OpTransfer, Node: id})
}

// AddNode adds a node to the store's membership: a voter, or a replica (a
// non-voter). The node starts empty and catches up from the leader.
func (k *Client) AddNode(ctx context.Context, id, raftAddr string, replica bool) error {
	return k.admin(ctx, &Request{Op: OpAdd, Node: id, Addr: raftAddr, Replica: replica})
}

// RemoveNode removes a node from the store's membership.
func (k *Client) RemoveNode(ctx context.Context, id string) error {
	return k.admin(ctx, &Request{Op: OpRemove, Node: id})
}

func (k *Client) admin(ctx context.Context, r *Request) error {
	if _, err := ParseRequest(r.Frames()); err != nil {
		return err
	}
	reply, err := k.call(ctx, true, r)
	if err != nil {
		return err
	}
	if len(reply) != 1 || string(reply[0]) != StatusOK {
		return badReply("%s reply of %d frames: want ok", r.Op, len(reply))
	}
	return nil
}

func readRequest(r *Request, opts []ReadOption) (*Request, bool) {
	lin := false
	for _, o := range opts {
		o(r, &lin)
	}
	return r, lin
}

// call sends r to Store.write (toLeader) or Store.read, and sends it again,
// the same body, while the answer says the outcome is unknown or the
// leader is changing and ctx has time left.
func (k *Client) call(ctx context.Context, toLeader bool, r *Request) ([][]byte, error) {
	send := k.c.Read
	if toLeader {
		send = k.c.Write
	}
	frames := r.Frames()
	wait := k.backoff
	for {
		reply, err := send(ctx, k.store, frames...)
		if err == nil || !retryable(err) || ctx.Err() != nil {
			return reply, serviceErr(err)
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, serviceErr(err)
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}

// retryable: 503 (no leader here, or overloaded), 502 (the worker died
// with the request) and timeouts of every attempt; for a write the
// outcome is unknown, and the same request id makes the retry safe.
func retryable(err error) bool {
	return errors.Is(err, clients.ErrOverloaded) || errors.Is(err, clients.ErrWorkerFailed) ||
		(errors.Is(err, clients.ErrTimeout) && !errors.Is(err, clients.ErrExpired))
}

// serviceErr adds ErrBadRequest to a 400 reply.
func serviceErr(err error) error {
	var se *clients.ServiceError
	if errors.As(err, &se) && se.Status == mdp.StatusBadRequest {
		return fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	return err
}
