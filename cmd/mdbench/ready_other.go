//go:build !linux

package main

import (
	"time"

	"github.com/majordomo-go/majordomo/internal/zsock"
)

// readySet is zmq_poll where epoll is missing: the same contract as the
// Linux version (ready_linux.go), at the cost of asking every socket on
// every wait.
type readySet struct {
	socks []*zsock.Socket
	ids   []int // the id of each poller item
	poll  *zsock.Poller
	dirty bool
	out   []int
}

func newReadySet() (*readySet, error) { return &readySet{}, nil }

func (r *readySet) set(id int, s *zsock.Socket) error {
	for len(r.socks) <= id {
		r.socks = append(r.socks, nil)
	}
	r.socks[id] = s
	r.dirty = true
	return nil
}

func (r *readySet) remove(id int) {
	if id >= len(r.socks) {
		return
	}
	r.socks[id] = nil
	r.dirty = true
}

func (r *readySet) touch(int) {}

func (r *readySet) draining(int) {}

func (r *readySet) wait(timeout time.Duration) ([]int, error) {
	r.out = r.out[:0]
	if r.dirty {
		if err := r.rebuild(); err != nil {
			return nil, err
		}
	}
	if r.poll == nil {
		time.Sleep(timeout)
		return r.out, nil
	}
	if _, err := r.poll.Wait(timeout); err != nil {
		return nil, err
	}
	for i, id := range r.ids {
		if r.poll.Ready(i) {
			r.out = append(r.out, id)
		}
	}
	return r.out, nil
}

// rebuild makes a new Poller for the sockets watched now.
func (r *readySet) rebuild() error {
	r.close()
	var items []zsock.PollItem
	r.ids = r.ids[:0]
	for id, s := range r.socks {
		if s != nil {
			items = append(items, zsock.PollItem{Socket: s})
			r.ids = append(r.ids, id)
		}
	}
	r.dirty = false
	if len(items) == 0 {
		return nil
	}
	p, err := zsock.NewPoller(items...)
	if err != nil {
		return err
	}
	r.poll = p
	return nil
}

func (r *readySet) close() {
	if r.poll != nil {
		r.poll.Close()
		r.poll = nil
	}
}
