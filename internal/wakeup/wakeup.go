// Package wakeup lets any goroutine wake the one goroutine that owns a set
// of ZeroMQ sockets while it waits in zmq_poll. A Signal is a non-blocking
// pipe: its read end is a plain file descriptor that zmq_poll watches
// beside the sockets (zsock.PollItem{Fd: s.Fd()}), and Wake writes to its
// write end. No ZeroMQ socket is shared between goroutines: the pipe is a
// file descriptor, which the kernel lets any thread write.
//
// The usage, with work handed over through a channel or a locked queue:
//
//	sig, _ := wakeup.New()
//	defer sig.Close()
//	// any goroutine:          queue work; sig.Wake()
//	// the owner, in its loop: poll(..., sig.Fd()); if readable: sig.Clear(); take the work
//
// Guarantees: Wake never blocks and may be called from any goroutine, any
// number of times; wake-ups are coalesced, so a burst costs one write and
// one read. Work queued before a Wake is seen by the owner's first look at
// its queue after a Clear that follows the wake-up (Clear drains the pipe
// before it re-arms Wake, so a Wake racing with Clear is never lost). Wake
// after Close does nothing.
package wakeup

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
)

// ErrClosed is Close's answer when the Signal is closed already.
var ErrClosed = errors.New("wakeup: signal closed")

// Signal is a coalescing wake-up through a pipe.
type Signal struct {
	r, w    int
	armed   atomic.Bool // true: a byte may be in the pipe; Wake need not write
	mu      sync.RWMutex
	closed  bool
	scratch [64]byte
}

// New makes a Signal: a pipe, both ends non-blocking and close-on-exec.
func New() (*Signal, error) {
	var p [2]int
	syscall.ForkLock.RLock()
	err := syscall.Pipe(p[:])
	if err == nil {
		syscall.CloseOnExec(p[0])
		syscall.CloseOnExec(p[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("wakeup: pipe: %w", err)
	}
	for _, fd := range p {
		if err := syscall.SetNonblock(fd, true); err != nil {
			syscall.Close(p[0])
			syscall.Close(p[1])
			return nil, fmt.Errorf("wakeup: non-blocking pipe: %w", err)
		}
	}
	return &Signal{r: p[0], w: p[1]}, nil
}

// Fd is the descriptor to poll for readability: it is readable from a
// Wake until the next Clear.
func (s *Signal) Fd() int { return s.r }

// Wake makes Fd readable unless a wake-up is already pending. It never
// blocks.
func (s *Signal) Wake() {
	if !s.armed.CompareAndSwap(false, true) {
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return
	}
	// EAGAIN (a full pipe) means Fd is readable already.
	_, _ = syscall.Write(s.w, []byte{1})
}

// Clear is the owner's acknowledgement of a wake-up: it empties the pipe,
// then lets the next Wake write again. Look at the queued work after Clear,
// never before.
func (s *Signal) Clear() {
	for {
		n, err := syscall.Read(s.r, s.scratch[:])
		if n < len(s.scratch) || err != nil {
			break
		}
	}
	s.armed.Store(false)
}

// Close closes both ends of the pipe. Only the owner calls it, once it no
// longer polls Fd; Wake from other goroutines may still race with it
// safely.
func (s *Signal) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.closed = true
	return errors.Join(syscall.Close(s.r), syscall.Close(s.w))
}
