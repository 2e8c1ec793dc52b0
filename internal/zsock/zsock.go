// Package zsock is the ZeroMQ socket layer of majordomo's hot paths: a
// message crosses from C to Go, or from Go to C, in one cgo call however
// many frames it has, and no Go pointer is handed to C. A general binding
// (github.com/pebbe/zmq4, which tests use) makes two or more cgo calls per
// frame; for the broker that was a third of its CPU time.
//
// It covers what the broker, the SDKs (workers, clients) and the load
// generator need: contexts, ROUTER and DEALER sockets, a few options
// (ZMQ_IMMEDIATE among them), whole-message Recv and Send, ZMQ_FD with
// Readable and Writable for Go's netpoller (internal/zready), and Poll.
// As with any ZeroMQ socket, a Socket belongs to one goroutine at a time.
package zsock

/*
#cgo !windows pkg-config: libzmq
#include "zsock.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// MaxFrames is the most frames a message may have. Recv cuts a longer
// message short and says so with ErrTooManyFrames; Send refuses one.
const MaxFrames = C.ZS_MAX_PARTS

// ErrTooManyFrames is Recv's answer to a message of more than MaxFrames
// frames: it returns the first MaxFrames, the rest were received and
// dropped without being copied.
var ErrTooManyFrames = fmt.Errorf("zsock: message of more than %d frames cut short", MaxFrames)

// ErrTooLarge is Recv's answer to a message of more bytes than
// SetMaxRecvBytes allows: it returns the frames that fit whole within the
// bound, the rest were received and dropped without being copied.
var ErrTooLarge = errors.New("zsock: message over the receive bound cut short")

// Errno is an error number from libzmq; errors.Is matches it against
// syscall errors (syscall.EAGAIN, syscall.EHOSTUNREACH...).
type Errno syscall.Errno

func (e Errno) Error() string { return C.GoString(C.zmq_strerror(C.int(e))) }

// Unwrap returns the syscall.Errno.
func (e Errno) Unwrap() error { return syscall.Errno(e) }

func check(rc C.int) error {
	if rc >= 0 {
		return nil
	}
	return Errno(-rc)
}

// Type is a socket type.
type Type int

// The socket types majordomo uses.
const (
	ROUTER Type = C.ZMQ_ROUTER
	DEALER Type = C.ZMQ_DEALER
)

// Flags for Recv and Send.
const (
	DontWait = C.ZMQ_DONTWAIT
)

// Context is a libzmq context: its I/O thread serves every socket made
// from it.
type Context struct {
	p unsafe.Pointer
}

// NewContext makes a context with libzmq's defaults (one I/O thread).
func NewContext() (*Context, error) {
	p, err := C.zmq_ctx_new()
	if p == nil {
		return nil, fmt.Errorf("zsock: new context: %w", err)
	}
	return &Context{p: p}, nil
}

// Term closes the context once every socket made from it is closed (and
// their linger has passed).
func (c *Context) Term() error {
	if c.p == nil {
		return nil
	}
	err := check(C.zs_ctx_term(c.p))
	c.p = nil
	return err
}

// Socket is one ZeroMQ socket.
type Socket struct {
	s    *C.zs_socket
	view [][]byte // RecvView's frames, reused
}

// NewSocket makes a socket of type t with a linger of 0: Close drops what
// is still queued unless SetLinger says otherwise. A Socket that is never
// closed is closed when it is garbage-collected.
func (c *Context) NewSocket(t Type) (*Socket, error) {
	var e C.int
	p := C.zs_open(c.p, C.int(t), &e)
	if p == nil {
		return nil, fmt.Errorf("zsock: new socket: %w", Errno(e))
	}
	s := &Socket{s: p}
	runtime.SetFinalizer(s, (*Socket).Close)
	if err := s.SetLinger(0); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the socket; it may be called more than once.
func (s *Socket) Close() {
	if s.s != nil {
		C.zs_close(s.s)
		s.s, s.view = nil, nil
		runtime.SetFinalizer(s, nil)
	}
}

func (s *Socket) setInt(name string, opt C.int, v int) error {
	if err := check(C.zs_setint(s.s, opt, C.int(v))); err != nil {
		return fmt.Errorf("zsock: %s: %w", name, err)
	}
	return nil
}

// SetLinger sets how long Close lets queued messages leave.
func (s *Socket) SetLinger(d time.Duration) error {
	return s.setInt("linger", C.ZMQ_LINGER, int(d/time.Millisecond))
}

// SetRouterMandatory makes a ROUTER fail a send to an unknown or gone
// peer (EHOSTUNREACH) instead of dropping it.
func (s *Socket) SetRouterMandatory(on bool) error {
	v := 0
	if on {
		v = 1
	}
	return s.setInt("router mandatory", C.ZMQ_ROUTER_MANDATORY, v)
}

// SetImmediate makes a connecting socket queue messages only for
// connections that are complete (ZMQ_IMMEDIATE): with no connection up, a
// DontWait Send fails with EAGAIN instead of queueing the message until a
// peer comes, and Writable says false. The SDK clients need it so that an
// attempt never waits inside libzmq for a broker that is down.
func (s *Socket) SetImmediate(on bool) error {
	v := 0
	if on {
		v = 1
	}
	return s.setInt("immediate", C.ZMQ_IMMEDIATE, v)
}

// SetHWM sets the send and receive high-water marks, in messages.
func (s *Socket) SetHWM(send, recv int) error {
	if err := s.setInt("send high-water mark", C.ZMQ_SNDHWM, send); err != nil {
		return err
	}
	return s.setInt("receive high-water mark", C.ZMQ_RCVHWM, recv)
}

// SetMaxRecvBytes bounds what Recv and RecvView keep of one message, all
// frames together: past n bytes, the rest of the message is taken from
// libzmq and freed frame by frame, never copied, and the receive says
// ErrTooLarge. libzmq hands a multipart message over only once all of it
// has arrived, so it holds one whole message per connection while it
// arrives; SetMaxMsgSize bounds that.
func (s *Socket) SetMaxRecvBytes(n int64) {
	if n < 0 {
		n = 0
	}
	s.s.max_bytes = C.size_t(n)
}

// SetMaxMsgSize makes libzmq close the connection of a peer that sends a
// frame larger than n, or with the libzmq of scripts/install-deps.sh (its
// patch scripts/libzmq/multipart-message-size.patch) a multipart message
// of which libzmq would hold more than n bytes, each frame counted at
// least 64 bytes. A stock libzmq bounds single frames only.
func (s *Socket) SetMaxMsgSize(n int64) error {
	if err := check(C.zs_setint64(s.s, C.ZMQ_MAXMSGSIZE, C.int64_t(n))); err != nil {
		return fmt.Errorf("zsock: max message size: %w", err)
	}
	return nil
}

// Bind binds ep and returns it with an ephemeral port ("*") resolved.
func (s *Socket) Bind(ep string) (string, error) {
	cep := C.CString(ep)
	defer C.free(unsafe.Pointer(cep))
	var resolved [256]C.char
	if err := check(C.zs_bind(s.s, cep, &resolved[0], C.size_t(len(resolved)))); err != nil {
		return "", err
	}
	if r := C.GoString(&resolved[0]); r != "" {
		return r, nil
	}
	return ep, nil
}

// Connect connects to ep.
func (s *Socket) Connect(ep string) error {
	cep := C.CString(ep)
	defer C.free(unsafe.Pointer(cep))
	return check(C.zs_connect(s.s, cep))
}

// Fd is the socket's ZMQ_FD, readable (edge-triggered) when Events may
// have changed.
func (s *Socket) Fd() (int, error) {
	var v C.int
	err := check(C.zs_getint(s.s, C.ZMQ_FD, &v))
	return int(v), err
}

// Readable reports whether a message can be received now (ZMQ_EVENTS).
func (s *Socket) Readable() (bool, error) {
	v, err := s.events()
	return v&C.ZMQ_POLLIN != 0, err
}

// Writable reports whether a message can be sent now without waiting
// (ZMQ_EVENTS has POLLOUT): the socket has a connection with room.
func (s *Socket) Writable() (bool, error) {
	v, err := s.events()
	return v&C.ZMQ_POLLOUT != 0, err
}

// events reads ZMQ_EVENTS. libzmq processes the socket's pending commands
// first and may be interrupted by a signal (Go's runtime sends them), which
// is no error: it is asked again.
func (s *Socket) events() (C.int, error) {
	for {
		var v C.int
		err := check(C.zs_getint(s.s, C.ZMQ_EVENTS, &v))
		if !errors.Is(err, syscall.EINTR) {
			return v, err
		}
	}
}

// Recv receives one whole message. Its frames share one new buffer, which
// the caller may keep. With DontWait and nothing to receive, the error
// matches syscall.EAGAIN.
//
// A message over a bound (MaxFrames, SetMaxRecvBytes) is cut short: Recv
// returns only its head, with ErrTooManyFrames or ErrTooLarge, so that
// the caller may answer the sender: the first frames up to HeadFrames of
// them, stopping before the first one larger than HeadFrameBytes (a body
// frame, never an MDP header frame).
func (s *Socket) Recv(flags int) ([][]byte, error) {
	n := int(C.zs_recv(s.s, C.int(flags)))
	if n < 0 {
		return nil, Errno(-n)
	}
	cut := s.cut()
	if cut != nil {
		n = s.head(n)
	}
	total := 0
	for i := 0; i < n; i++ {
		total += int(s.s.sizes[i])
	}
	buf := make([]byte, total)
	frames := make([][]byte, n)
	off := 0
	for i := 0; i < n; i++ {
		size := int(s.s.sizes[i])
		if size > 0 {
			copy(buf[off:off+size], unsafe.Slice((*byte)(s.s.data[i]), size))
		}
		frames[i] = buf[off : off+size : off+size]
		off += size
	}
	return frames, cut
}

// What Recv keeps of a message it cut short: enough for any MDP header
// (identity, delimiter, header, command, service or address, meta).
const (
	HeadFrames     = 8
	HeadFrameBytes = 512
)

// head is how many of the n frames kept form the head Recv returns.
func (s *Socket) head(n int) int {
	for i := 0; i < min(n, HeadFrames); i++ {
		if s.s.sizes[i] > HeadFrameBytes {
			return i
		}
	}
	return min(n, HeadFrames)
}

// cut is the error for a message the last receive cut short, or nil.
func (s *Socket) cut() error {
	switch s.s.over {
	case C.ZS_OVER_PARTS:
		return ErrTooManyFrames
	case C.ZS_OVER_BYTES:
		return ErrTooLarge
	}
	return nil
}

// RecvView is Recv without the copy, for a caller that looks at a message
// and lets it go: the frames point into libzmq's buffers and are valid
// only until the next Recv, RecvView or Close on s. Once s has received
// its longest message, it allocates nothing. A message over a bound is cut
// short as with Recv.
func (s *Socket) RecvView(flags int) ([][]byte, error) {
	n := int(C.zs_recv(s.s, C.int(flags)))
	if n < 0 {
		return nil, Errno(-n)
	}
	if cap(s.view) < n {
		s.view = make([][]byte, n)
	}
	s.view = s.view[:n]
	for i := range s.view {
		size := int(s.s.sizes[i])
		if size == 0 {
			s.view[i] = nil
			continue
		}
		s.view[i] = unsafe.Slice((*byte)(s.s.data[i]), size)
	}
	return s.view, s.cut()
}

// Send sends one message of one or more frames. With DontWait, a full
// queue is syscall.EAGAIN; on a ROUTER with SetRouterMandatory, a peer that
// is gone is syscall.EHOSTUNREACH. Either way nothing of the message went.
func (s *Socket) Send(frames [][]byte, flags int) error {
	if len(frames) == 0 || len(frames) > MaxFrames {
		return fmt.Errorf("zsock: cannot send a message of %d frames", len(frames))
	}
	total := 0
	for _, f := range frames {
		total += len(f)
	}
	if err := check(C.zs_reserve(s.s, C.size_t(max(total, 1)))); err != nil {
		return err
	}
	out := unsafe.Slice((*byte)(unsafe.Pointer(s.s.out)), total)
	off := 0
	for i, f := range frames {
		off += copy(out[off:], f)
		s.s.out_sizes[i] = C.size_t(len(f))
	}
	s.s.nout = C.int(len(frames))
	return check(C.zs_send(s.s, C.int(flags)))
}

// PollItem is a socket to wait for, or a file descriptor when Socket is
// nil.
type PollItem struct {
	Socket *Socket
	Fd     int
}

// Poller waits for its items to be readable. Its item list lives in C
// memory, so a wait is one cgo call with nothing to allocate or check.
// Like a Socket, it belongs to one goroutine.
type Poller struct {
	items *C.zmq_pollitem_t
	n     int
}

// NewPoller makes a Poller for items (at least one). The sockets must stay
// open while it is used.
func NewPoller(items ...PollItem) (*Poller, error) {
	if len(items) == 0 {
		return nil, errors.New("zsock: nothing to poll")
	}
	p := &Poller{items: (*C.zmq_pollitem_t)(C.calloc(C.size_t(len(items)), C.size_t(unsafe.Sizeof(C.zmq_pollitem_t{})))), n: len(items)}
	if p.items == nil {
		return nil, errors.New("zsock: out of memory")
	}
	runtime.SetFinalizer(p, (*Poller).Close)
	c := p.slice()
	for i, it := range items {
		if it.Socket != nil {
			c[i].socket = C.zs_item_socket(it.Socket.s)
		} else {
			c[i].fd = C.int(it.Fd)
		}
		c[i].events = C.ZMQ_POLLIN
	}
	return p, nil
}

func (p *Poller) slice() []C.zmq_pollitem_t { return unsafe.Slice(p.items, p.n) }

// Wait waits up to timeout (negative: for ever; libzmq counts whole
// milliseconds, so it is rounded up) until an item is readable,
// and returns how many are. An interrupted wait (syscall.EINTR) is an
// error the caller may ignore.
func (p *Poller) Wait(timeout time.Duration) (int, error) {
	ms := C.long(-1)
	if timeout >= 0 {
		// Rounded up: a wait of 300µs that became 0 would spin until due.
		ms = C.long((timeout + time.Millisecond - 1) / time.Millisecond)
	}
	n := C.zs_poll(p.items, C.int(p.n), ms)
	if n < 0 {
		return 0, Errno(-n)
	}
	return int(n), nil
}

// Ready reports whether item i was readable at the last Wait.
func (p *Poller) Ready(i int) bool { return p.slice()[i].revents&C.ZMQ_POLLIN != 0 }

// Close frees the Poller; it may be called more than once.
func (p *Poller) Close() {
	if p.items != nil {
		C.free(unsafe.Pointer(p.items))
		p.items = nil
		runtime.SetFinalizer(p, nil)
	}
}
