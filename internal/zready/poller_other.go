//go:build !linux

package zready

import (
	"time"

	"golang.org/x/sys/unix"
)

// poller is poll(2) where epoll is missing: the same contract as the
// Linux version, with the thread blocked in the system call.
type poller struct {
	fds   []unix.PollFd
	ready []int
}

func (p *poller) open() error             { return nil }
func (p *poller) add(int, int, int) error { return nil }
func (p *poller) remove(int)              {}
func (p *poller) close() error            { return nil }

func (p *poller) wait(items []*item, timeout time.Duration, block bool) ([]int, error) {
	p.fds = p.fds[:0]
	for _, it := range items {
		p.fds = append(p.fds, unix.PollFd{Fd: int32(it.fd), Events: unix.POLLIN})
	}
	ms := 0
	if block {
		ms = -1
		if timeout >= 0 {
			ms = int((timeout + time.Millisecond - 1) / time.Millisecond)
		}
	}
	n, err := unix.Poll(p.fds, ms)
	if err == unix.EINTR {
		n, err = 0, nil
	}
	if err != nil {
		return nil, err
	}
	p.ready = p.ready[:0]
	for i := 0; n > 0 && i < len(p.fds); i++ {
		if p.fds[i].Revents != 0 {
			p.ready = append(p.ready, items[i].id)
			n--
		}
	}
	return p.ready, nil
}
