package workers

import (
	"fmt"
	"sync/atomic"

	zmq "github.com/pebbe/zmq4"
)

var wakeSeq atomic.Uint64

// waker turns sends on a channel into messages on an inproc PAIR, so that a
// goroutine blocked in zmq Poll wakes up when another goroutine has work for
// it. rx belongs to the polling goroutine; tx to the waker's own goroutine.
type waker struct {
	rx   *zmq.Socket
	quit chan struct{}
	done chan struct{}
}

func (w *waker) open(zctx *zmq.Context, wake <-chan struct{}) error {
	endpoint := fmt.Sprintf("inproc://majordomo-workers-wake-%d", wakeSeq.Add(1))
	rx, err := pairSocket(zctx)
	if err != nil {
		return err
	}
	if err := rx.Bind(endpoint); err != nil {
		rx.Close()
		return err
	}
	tx, err := pairSocket(zctx)
	if err == nil {
		err = tx.Connect(endpoint)
		if err != nil {
			tx.Close()
		}
	}
	if err != nil {
		rx.Close()
		return err
	}
	w.rx, w.quit, w.done = rx, make(chan struct{}), make(chan struct{})
	go func() {
		defer close(w.done)
		defer tx.Close()
		for {
			select {
			case <-wake:
				// A full pipe means rx is readable already.
				_, _ = tx.SendBytes(nil, zmq.DONTWAIT)
			case <-w.quit:
				return
			}
		}
	}()
	return nil
}

func pairSocket(zctx *zmq.Context) (*zmq.Socket, error) {
	s, err := zctx.NewSocket(zmq.PAIR)
	if err != nil {
		return nil, err
	}
	if err := s.SetLinger(0); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// drain reads every pending wake-up.
func (w *waker) drain() {
	for {
		if _, err := w.rx.RecvBytes(zmq.DONTWAIT); err != nil {
			return
		}
	}
}

func (w *waker) close() {
	close(w.quit)
	<-w.done
	w.rx.Close()
}
