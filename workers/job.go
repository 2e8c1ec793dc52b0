package workers

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync/atomic"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/mdp"
)

// job is one accepted request. The socket goroutine owns address, epoch
// and finished; the handler goroutine reads the rest, which is set before
// it starts.
type job struct {
	c     *conn
	req   *Request
	id    uuid.UUID
	ext   bool // delivered as an extension XREQUEST: answer in kind
	dedup bool // the client chose the UUID: de-duplicate by it

	ctx      context.Context
	cancel   context.CancelFunc
	returned atomic.Bool // the handler has returned: no more partials

	address  []byte // client address of the latest delivery
	epoch    uint64 // connection that delivered it last
	finished bool   // the FINAL reply has been processed
}

// outMsg carries a handler's PARTIAL or FINAL reply to the socket goroutine.
type outMsg struct {
	job   *job
	final bool
	body  [][]byte // PARTIAL
	reply Reply    // FINAL
}

func (j *job) partial(body [][]byte) error {
	c := j.c
	if c.cfg.protocol == ProtocolV01 {
		return ErrStreamingUnsupported
	}
	if j.returned.Load() {
		return ErrReplied
	}
	if err := j.ctx.Err(); err != nil {
		return err
	}
	if max := c.cfg.maxMessageSize; max > 0 && bodySize(body) > max {
		return fmt.Errorf("%w: partial reply of %d bytes, maximum %d", ErrTooLarge, bodySize(body), max)
	}
	select {
	case c.out <- outMsg{job: j, body: body}:
		c.wake()
		return nil
	case <-j.ctx.Done():
		return j.ctx.Err()
	}
}

// runJob is the handler goroutine of one job. Its last act is always to
// hand the FINAL reply to the socket goroutine, which keeps receiving until
// every job it started has done so.
func (c *conn) runJob(j *job) {
	r := c.call(j)
	j.returned.Store(true)
	j.cancel()
	c.out <- outMsg{job: j, final: true, reply: r}
	c.wake()
}

// call runs the handler (or answers from the durable store) and turns what
// it returns, or a panic, into a reply.
func (c *conn) call(j *job) (r Reply) {
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("handler panicked", zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
			r = Reply{Err: &Error{Status: mdp.StatusInternal, Text: "handler panicked"}}
		}
	}()
	d := c.cfg.deduper
	if j.dedup && d != nil {
		stored, ok, err := d.Seen(j.ctx, j.id)
		if err != nil {
			c.log.Error("de-duplication store failed", zap.Stringer("uuid", j.id), zap.Error(err))
			return Reply{Err: &Error{Status: mdp.StatusInternal, Text: "de-duplication store failed"}}
		}
		if ok {
			return stored
		}
	}
	body, err := c.handler.Serve(j.ctx, j.req)
	if err != nil {
		r = Reply{Err: statusError(err)}
	} else {
		r = Reply{Body: body}
	}
	if max := c.cfg.maxMessageSize; max > 0 && r.Err == nil && bodySize(body) > max {
		c.log.Error("reply exceeds the maximum message size", zap.Int("bytes", bodySize(body)), zap.Int("max", max))
		r = Reply{Err: &Error{Status: mdp.StatusInternal, Text: "reply too large"}}
	}
	if j.dedup && d != nil && r.storable() {
		if err := d.Store(context.WithoutCancel(j.ctx), j.id, r); err != nil {
			c.log.Error("de-duplication store failed", zap.Stringer("uuid", j.id), zap.Error(err))
		}
	}
	return r
}

func bodySize(body [][]byte) int {
	n := 0
	for _, f := range body {
		n += len(f)
	}
	return n
}
