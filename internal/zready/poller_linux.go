package zready

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// poller is an epoll set whose own descriptor waits in Go's netpoller.
// Each descriptor is registered level-triggered with its id as the event
// data.
type poller struct {
	epfd   int
	file   *os.File        // epfd, in the netpoller
	conn   syscall.RawConn // nil: the netpoller refused epfd; block in epoll_wait
	events []syscall.EpollEvent
	ready  []int
}

func (p *poller) open() error {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return err
	}
	if err := syscall.SetNonblock(epfd, true); err != nil {
		syscall.Close(epfd)
		return err
	}
	p.epfd, p.file = epfd, os.NewFile(uintptr(epfd), "zready-epoll")
	if p.file.SetReadDeadline(time.Time{}) == nil { // in the netpoller
		p.conn, _ = p.file.SyscallConn()
	}
	p.events = make([]syscall.EpollEvent, 1)
	return nil
}

// add watches fd under id; n is how many descriptors are watched now.
func (p *poller) add(fd, id, n int) error {
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(id)}
	if err := syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return err
	}
	if len(p.events) < n {
		p.events = make([]syscall.EpollEvent, 2*n)
	}
	return nil
}

func (p *poller) remove(fd int) { _ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, fd, nil) }

// wait returns the ids of the readable descriptors: those readable
// now, or, when block is set and there are none, those that become
// readable within timeout.
func (p *poller) wait(_ []*item, timeout time.Duration, block bool) ([]int, error) {
	var n int
	var err error
	if block && timeout != 0 {
		n, err = p.block(timeout) // asks epoll once before it parks
	} else {
		n, err = syscall.EpollWait(p.epfd, p.events, 0)
		if err == syscall.EINTR {
			n, err = 0, nil
		}
	}
	if err != nil {
		return nil, err
	}
	p.ready = p.ready[:0]
	for i := 0; i < n; i++ {
		p.ready = append(p.ready, int(p.events[i].Fd))
	}
	return p.ready, nil
}

// block parks until a descriptor is readable or timeout (negative: none)
// has passed.
func (p *poller) block(timeout time.Duration) (n int, err error) {
	if p.conn == nil {
		ms := -1
		if timeout >= 0 {
			ms = int((timeout + time.Millisecond - 1) / time.Millisecond)
		}
		n, err = syscall.EpollWait(p.epfd, p.events, ms)
		if err == syscall.EINTR {
			return 0, nil
		}
		return n, err
	}
	var until time.Time
	if timeout >= 0 {
		until = time.Now().Add(timeout)
	}
	if err := p.file.SetReadDeadline(until); err != nil {
		return 0, err
	}
	rerr := p.conn.Read(func(uintptr) bool {
		n, err = syscall.EpollWait(p.epfd, p.events, 0)
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

func (p *poller) close() error { return p.file.Close() }
