//go:build !linux

package main

import (
	"time"

	zmq "github.com/pebbe/zmq4"
)

// readySet is zmq_poll where epoll is missing: the same contract as the
// Linux version (ready_linux.go), at the cost of asking every socket on
// every wait.
type readySet struct {
	socks []*zmq.Socket
	ids   map[*zmq.Socket]int
	poll  *zmq.Poller
	dirty bool
	out   []int
}

func newReadySet() (*readySet, error) {
	return &readySet{ids: make(map[*zmq.Socket]int), poll: zmq.NewPoller()}, nil
}

func (r *readySet) set(id int, s *zmq.Socket) error {
	for len(r.socks) <= id {
		r.socks = append(r.socks, nil)
	}
	r.socks[id], r.ids[s] = s, id
	r.dirty = true
	return nil
}

func (r *readySet) remove(id int) {
	if id >= len(r.socks) {
		return
	}
	delete(r.ids, r.socks[id])
	r.socks[id] = nil
	r.dirty = true
}

func (r *readySet) touch(int) {}

func (r *readySet) draining(int) {}

func (r *readySet) wait(timeout time.Duration) ([]int, error) {
	if r.dirty {
		r.poll = zmq.NewPoller()
		for _, s := range r.socks {
			if s != nil {
				r.poll.Add(s, zmq.POLLIN)
			}
		}
		r.dirty = false
	}
	polled, err := r.poll.Poll(timeout)
	if err != nil {
		return nil, err
	}
	r.out = r.out[:0]
	for _, p := range polled {
		r.out = append(r.out, r.ids[p.Socket])
	}
	return r.out, nil
}

func (r *readySet) close() {}
