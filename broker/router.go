package broker

/*
#cgo !windows pkg-config: libzmq
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

// MD_MAX_PARTS bounds the frames of one message the broker takes: the
// longest valid MDP message has a handful of envelope frames and the body.
#define MD_MAX_PARTS 1024

// md_router is the broker's ROUTER socket with the parts of the last
// message received, which stay valid until the next receive. It lives in C
// memory, so Go reads sizes and data without a cgo call and passes no Go
// pointer to C.
typedef struct {
	void *ctx;
	void *sock;
	int nparts;
	zmq_msg_t parts[MD_MAX_PARTS];
	size_t sizes[MD_MAX_PARTS];
	void *data[MD_MAX_PARTS];

	// The message to send: nout parts of out_sizes bytes, end to end in out.
	int nout;
	size_t out_sizes[MD_MAX_PARTS];
	char *out;
	size_t out_cap;
} md_router;

static void md_release(md_router *r) {
	for (int i = 0; i < r->nparts; i++) zmq_msg_close(&r->parts[i]);
	r->nparts = 0;
}

// md_recv takes one whole message without blocking: the number of parts,
// 0 when it had more than MD_MAX_PARTS (received and dropped), or -errno.
static int md_recv(md_router *r) {
	md_release(r);
	int more = 1, n = 0, dropped = 0;
	while (more) {
		zmq_msg_t spill, *m = n < MD_MAX_PARTS ? &r->parts[n] : &spill;
		zmq_msg_init(m);
		while (zmq_msg_recv(m, r->sock, ZMQ_DONTWAIT) < 0) {
			int e = zmq_errno();
			// Parts of a message arrive together: only the first can be
			// missing (EAGAIN); a signal may interrupt any, so retry.
			if (e != EINTR) {
				zmq_msg_close(m);
				md_release(r);
				return -e;
			}
		}
		more = zmq_msg_more(m);
		if (m == &spill) {
			zmq_msg_close(m);
			dropped = 1;
			continue;
		}
		r->sizes[n] = zmq_msg_size(m);
		r->data[n] = zmq_msg_data(m);
		r->nparts = ++n;
	}
	if (dropped) {
		md_release(r);
		return 0;
	}
	return n;
}

// md_send sends the message laid out in out without blocking: 0 or -errno.
// On a ROUTER a message goes whole or not at all.
static int md_send(md_router *r) {
	const char *p = r->out;
	for (int i = 0; i < r->nout; i++) {
		int flags = ZMQ_DONTWAIT | (i + 1 < r->nout ? ZMQ_SNDMORE : 0);
		while (zmq_send(r->sock, p, r->out_sizes[i], flags) < 0) {
			int e = zmq_errno();
			if (e != EINTR) return -e;
		}
		p += r->out_sizes[i];
	}
	return 0;
}

// md_out_reserve makes room for n bytes of message to send: 0 or -ENOMEM.
static int md_out_reserve(md_router *r, size_t n) {
	if (n <= r->out_cap) return 0;
	char *p = realloc(r->out, n);
	if (p == NULL) return -ENOMEM;
	r->out = p;
	r->out_cap = n;
	return 0;
}

// md_poll waits up to timeout ms for the socket or the wake-up fd to be
// readable: bit 0 the socket, bit 1 the fd; or -errno.
static int md_poll(md_router *r, int fd, long timeout) {
	zmq_pollitem_t items[2] = {{r->sock, 0, ZMQ_POLLIN, 0}, {NULL, fd, ZMQ_POLLIN, 0}};
	if (zmq_poll(items, 2, timeout) < 0) return -zmq_errno();
	return (items[0].revents & ZMQ_POLLIN ? 1 : 0) | (items[1].revents & ZMQ_POLLIN ? 2 : 0);
}

static int md_setint(md_router *r, int opt, int v) {
	return zmq_setsockopt(r->sock, opt, &v, sizeof v) < 0 ? -zmq_errno() : 0;
}

static int md_setint64(md_router *r, int opt, int64_t v) {
	return zmq_setsockopt(r->sock, opt, &v, sizeof v) < 0 ? -zmq_errno() : 0;
}

static int md_bind(md_router *r, const char *ep, char *resolved, size_t cap) {
	if (zmq_bind(r->sock, ep) < 0) return -zmq_errno();
	if (zmq_getsockopt(r->sock, ZMQ_LAST_ENDPOINT, resolved, &cap) < 0) resolved[0] = 0;
	return 0;
}

static md_router *md_open(int *err) {
	md_router *r = calloc(1, sizeof *r);
	if (r == NULL) {
		*err = ENOMEM;
		return NULL;
	}
	r->ctx = zmq_ctx_new();
	if (r->ctx != NULL) r->sock = zmq_socket(r->ctx, ZMQ_ROUTER);
	if (r->sock == NULL) {
		*err = zmq_errno();
		if (r->ctx != NULL) zmq_ctx_term(r->ctx);
		free(r);
		return NULL;
	}
	return r;
}

// md_close closes the socket (its linger applies) and frees everything.
static void md_close(md_router *r) {
	md_release(r);
	zmq_close(r->sock);
	while (zmq_ctx_term(r->ctx) < 0 && zmq_errno() == EINTR) {
	}
	free(r->out);
	free(r);
}
*/
import "C"

import (
	"fmt"
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// router is the broker's ROUTER socket, driven through a few lines of C of
// our own rather than a general binding: receiving a message, or sending
// one, is one cgo call however many frames it has, and no Go pointer
// crosses into C. It has its own libzmq context (one I/O thread). A router
// belongs to the loop goroutine; only Close may follow Run's end.
type router struct {
	c *C.md_router
}

// zmqError is an error number from libzmq, with libzmq's text for it.
type zmqError syscall.Errno

func (e zmqError) Error() string { return C.GoString(C.zmq_strerror(C.int(e))) }

// Unwrap lets errors.Is match syscall errors (EAGAIN, EHOSTUNREACH...).
func (e zmqError) Unwrap() error { return syscall.Errno(e) }

func zmqErr(rc C.int) error {
	if rc >= 0 {
		return nil
	}
	return zmqError(-rc)
}

// openRouter creates the socket with the broker's options.
func openRouter(cfg Config) (*router, error) {
	var e C.int
	c := C.md_open(&e)
	if c == nil {
		return nil, fmt.Errorf("broker: router socket: %w", zmqError(e))
	}
	r := &router{c: c}
	runtime.SetFinalizer(r, (*router).close) // a Broker made but never run
	for _, o := range []struct {
		name string
		rc   C.int
	}{
		{"linger", C.md_setint(c, C.ZMQ_LINGER, 0)},
		{"router mandatory", C.md_setint(c, C.ZMQ_ROUTER_MANDATORY, 1)},
		{"max message size", C.md_setint64(c, C.ZMQ_MAXMSGSIZE, C.int64_t(cfg.MaxMessageSize))},
		{"receive high-water mark", C.md_setint(c, C.ZMQ_RCVHWM, 100000)},
		{"send high-water mark", C.md_setint(c, C.ZMQ_SNDHWM, 100000)},
	} {
		if err := zmqErr(o.rc); err != nil {
			r.close()
			return nil, fmt.Errorf("broker: router option %s: %w", o.name, err)
		}
	}
	return r, nil
}

// bind binds ep and returns it with an ephemeral port resolved.
func (r *router) bind(ep string) (string, error) {
	cep := C.CString(ep)
	defer C.free(unsafe.Pointer(cep))
	var resolved [256]C.char
	if err := zmqErr(C.md_bind(r.c, cep, &resolved[0], C.size_t(len(resolved)))); err != nil {
		return "", err
	}
	if s := C.GoString(&resolved[0]); s != "" {
		return s, nil
	}
	return ep, nil
}

// setLinger sets how long close waits for queued messages to leave.
func (r *router) setLinger(d time.Duration) {
	C.md_setint(r.c, C.ZMQ_LINGER, C.int(d/time.Millisecond))
}

// poll waits up to d for a message or a byte on wakeFd.
func (r *router) poll(wakeFd int, d time.Duration) (readable, woken bool, err error) {
	rc := C.md_poll(r.c, C.int(wakeFd), C.long(d/time.Millisecond))
	if rc < 0 {
		return false, false, zmqError(-rc)
	}
	return rc&1 != 0, rc&2 != 0, nil
}

// recv takes one message without blocking. Its frames share one new
// buffer, which the caller may keep. A message of more than MD_MAX_PARTS
// frames is dropped: frames is nil and so is err. With nothing to receive,
// err matches syscall.EAGAIN.
func (r *router) recv() (frames [][]byte, err error) {
	n := int(C.md_recv(r.c))
	if n < 0 {
		return nil, zmqError(-n)
	}
	if n == 0 {
		return nil, nil
	}
	total := 0
	for i := 0; i < n; i++ {
		total += int(r.c.sizes[i])
	}
	buf := make([]byte, total)
	frames = make([][]byte, n)
	off := 0
	for i := 0; i < n; i++ {
		size := int(r.c.sizes[i])
		if size > 0 {
			copy(buf[off:off+size], unsafe.Slice((*byte)(r.c.data[i]), size))
		}
		frames[i] = buf[off : off+size : off+size]
		off += size
	}
	return frames, nil
}

// send sends one message without blocking. A peer that is gone
// (EHOSTUNREACH) or whose queue is full (EAGAIN) is an error.
func (r *router) send(frames [][]byte) error {
	if len(frames) == 0 || len(frames) > C.MD_MAX_PARTS {
		return fmt.Errorf("broker: cannot send a message of %d frames", len(frames))
	}
	total := 0
	for _, f := range frames {
		total += len(f)
	}
	if err := zmqErr(C.md_out_reserve(r.c, C.size_t(max(total, 1)))); err != nil {
		return err
	}
	out := unsafe.Slice((*byte)(unsafe.Pointer(r.c.out)), total)
	off := 0
	for i, f := range frames {
		off += copy(out[off:], f)
		r.c.out_sizes[i] = C.size_t(len(f))
	}
	r.c.nout = C.int(len(frames))
	return zmqErr(C.md_send(r.c))
}

// close closes the socket and its context; pending messages get the
// linger set last.
func (r *router) close() {
	if r.c != nil {
		C.md_close(r.c)
		r.c = nil
		runtime.SetFinalizer(r, nil)
	}
}

// wakePipe is how other goroutines wake the loop: the loop polls its read
// end beside the socket, the waker goroutine writes a byte. Both ends are
// non-blocking.
type wakePipe struct {
	r, w int
}

func newWakePipe() (*wakePipe, error) {
	var fds [2]int
	syscall.ForkLock.RLock()
	err := syscall.Pipe(fds[:])
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("broker: wake-up pipe: %w", err)
	}
	p := &wakePipe{r: fds[0], w: fds[1]}
	for _, fd := range fds {
		if err := syscall.SetNonblock(fd, true); err != nil {
			p.close()
			return nil, fmt.Errorf("broker: wake-up pipe: %w", err)
		}
	}
	return p, nil
}

// poke wakes the loop; a full pipe has woken it already.
func (p *wakePipe) poke() { syscall.Write(p.w, []byte{0}) }

// drain empties the pipe after a wake-up.
func (p *wakePipe) drain() {
	var buf [64]byte
	for {
		if n, err := syscall.Read(p.r, buf[:]); n <= 0 || err != nil {
			return
		}
	}
}

func (p *wakePipe) close() {
	syscall.Close(p.r)
	syscall.Close(p.w)
}
