package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/majordomo-go/majordomo/internal/zsock"
)

// readySet tells one goroutine which of its sockets may have messages to
// read. zmq_poll asks every socket on every call (two or three system
// calls each), which made polling the generator's largest cost; instead we
// wait in epoll on each socket's ZMQ_FD and look only at sockets that were
// signalled or that we touched.
//
// ZMQ_FD is readable while the socket has unprocessed commands, and any
// operation on the socket may process them. So a socket is "dirty" from
// the moment we use it until a receive on it returns EAGAIN: a dirty
// socket may hold messages without its descriptor saying so, and wait
// returns it without blocking. The caller must drain every socket wait
// returns until EAGAIN, or touch it again, and touch every socket it sends
// on (touch does nothing for the socket being drained, which will reach
// EAGAIN after the send).
//
// The epoll descriptor itself waits in Go's netpoller, so that a wait
// parks the goroutine instead of holding a thread in epoll_wait, which the
// runtime would hand its P away from and back to on every wake-up.
type readySet struct {
	epfd   int
	file   *os.File        // epfd, in the netpoller
	conn   syscall.RawConn // nil: the netpoller refused epfd, block in epoll_wait
	until  time.Time       // file's read deadline
	socks  []*zsock.Socket
	fds    []int
	dirty  []bool
	queue  []int // the dirty sockets, each once
	drain  int   // the socket being drained, or -1: touching it is redundant
	out    []int
	events []syscall.EpollEvent
}

func newReadySet() (*readySet, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("mdbench: epoll: %w", err)
	}
	if err := syscall.SetNonblock(epfd, true); err != nil {
		syscall.Close(epfd)
		return nil, fmt.Errorf("mdbench: epoll: %w", err)
	}
	r := &readySet{epfd: epfd, file: os.NewFile(uintptr(epfd), "epoll"), drain: -1}
	if r.file.SetReadDeadline(time.Time{}) == nil { // pollable
		r.conn, _ = r.file.SyscallConn()
	}
	return r, nil
}

// set watches s under id (a small integer chosen by the caller, which wait
// reports it by); id must not be watching another socket. s starts dirty.
func (r *readySet) set(id int, s *zsock.Socket) error {
	for len(r.socks) <= id {
		r.socks = append(r.socks, nil)
		r.fds = append(r.fds, -1)
		r.dirty = append(r.dirty, false)
		r.events = append(r.events, syscall.EpollEvent{})
	}
	fd, err := s.Fd()
	if err != nil {
		return fmt.Errorf("mdbench: ZMQ_FD: %w", err)
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(id)}
	if err := syscall.EpollCtl(r.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return fmt.Errorf("mdbench: epoll_ctl: %w", err)
	}
	r.socks[id], r.fds[id] = s, fd
	r.touch(id)
	return nil
}

// remove stops watching id's socket; call it before closing the socket.
func (r *readySet) remove(id int) {
	if id >= len(r.fds) {
		return
	}
	if r.fds[id] >= 0 {
		syscall.EpollCtl(r.epfd, syscall.EPOLL_CTL_DEL, r.fds[id], nil)
	}
	r.socks[id], r.fds[id] = nil, -1
}

// touch marks id dirty: it must be drained before we block.
func (r *readySet) touch(id int) {
	if !r.dirty[id] && id != r.drain {
		r.dirty[id] = true
		r.queue = append(r.queue, id)
	}
}

// draining says that the caller is receiving from id until EAGAIN (or -1
// when done), so sends to id meanwhile need not touch it. A caller that
// stops before EAGAIN must touch id after draining(-1).
func (r *readySet) draining(id int) { r.drain = id }

// wait returns the sockets to drain: the dirty ones at once, or else those
// signalled within timeout. The slice is reused by the next call.
func (r *readySet) wait(timeout time.Duration) ([]int, error) {
	n, err := syscall.EpollWait(r.epfd, r.events, 0)
	if n <= 0 && len(r.queue) == 0 && timeout > 0 {
		n, err = r.block(timeout)
	}
	if err != nil && err != syscall.EINTR {
		return nil, fmt.Errorf("mdbench: epoll_wait: %w", err)
	}
	for i := 0; i < n; i++ {
		r.touch(int(r.events[i].Fd))
	}
	r.out = r.out[:0]
	for _, id := range r.queue {
		r.dirty[id] = false
		if r.socks[id] != nil {
			r.out = append(r.out, id)
		}
	}
	r.queue = r.queue[:0]
	return r.out, nil
}

// block waits until a socket is signalled or timeout has passed.
func (r *readySet) block(timeout time.Duration) (n int, err error) {
	if r.conn == nil {
		return syscall.EpollWait(r.epfd, r.events, int((timeout+time.Millisecond-1)/time.Millisecond))
	}
	// The callers' deadlines rarely move: set the file's only when it has
	// passed or is more than a millisecond off.
	now := time.Now()
	until := now.Add(timeout)
	if d := r.until.Sub(until); !r.until.After(now) || d > time.Millisecond || d < -time.Millisecond {
		if err := r.file.SetReadDeadline(until); err != nil {
			return 0, err
		}
		r.until = until
	}
	rerr := r.conn.Read(func(uintptr) bool {
		n, err = syscall.EpollWait(r.epfd, r.events, 0)
		return n > 0 || err != nil && err != syscall.EINTR
	})
	if errors.Is(rerr, os.ErrDeadlineExceeded) {
		return 0, nil
	}
	if rerr != nil {
		return 0, rerr
	}
	return n, err
}

func (r *readySet) close() { r.file.Close() }
