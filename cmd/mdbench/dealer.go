package main

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/majordomo-go/majordomo/internal/curveclient"
	"github.com/majordomo-go/majordomo/internal/zsock"
)

// newDealer makes a DEALER from zctx connected to endpoint that holds at
// least hwm messages each way. Messages cross cgo whole (package zsock):
// one call to receive one, one to send one, however many frames. A send
// with zsock.DontWait fails whole on a full queue and leaves nothing
// half-sent.
func newDealer(zctx *zsock.Context, endpoint string, hwm int, curve *curveclient.Keys) (*zsock.Socket, error) {
	s, err := zctx.NewSocket(zsock.DEALER)
	if err != nil {
		return nil, fmt.Errorf("mdbench: socket: %w", err)
	}
	hwm = max(hwm, 1000)
	for _, set := range []func() error{
		func() error { return s.SetLinger(0) },
		func() error { return s.SetHWM(hwm, hwm) },
		func() error { return curve.Apply(s) },
		func() error { return s.Connect(endpoint) },
	} {
		if err := set(); err != nil {
			s.Close()
			return nil, fmt.Errorf("mdbench: connect %s: %w", endpoint, err)
		}
	}
	return s, nil
}

// retryable reports an interrupted wait or an empty queue.
func retryable(err error) bool {
	return errors.Is(err, syscall.EINTR) || errors.Is(err, syscall.EAGAIN)
}
