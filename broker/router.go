package broker

import (
	"fmt"
	"runtime"

	"github.com/majordomo-go/majordomo/internal/zsock"
)

// router is the broker's ROUTER socket and the libzmq context (one I/O
// thread) it alone uses. Messages cross cgo whole (package zsock). It
// belongs to the loop goroutine.
type router struct {
	ctx *zsock.Context
	*zsock.Socket
}

// openRouter creates the socket with the broker's options.
func openRouter(cfg Config) (*router, error) {
	ctx, err := zsock.NewContext()
	if err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	sock, err := ctx.NewSocket(zsock.ROUTER)
	if err != nil {
		ctx.Term()
		return nil, fmt.Errorf("broker: %w", err)
	}
	r := &router{ctx: ctx, Socket: sock}
	sock.SetMaxRecvBytes(cfg.MaxMessageSize)
	runtime.SetFinalizer(r, (*router).close) // a Broker made but never run
	for _, set := range []func() error{
		func() error { return sock.SetRouterMandatory(true) },
		func() error { return sock.SetMaxMsgSize(cfg.MaxMessageSize) },
		func() error { return sock.SetHWM(100000, 100000) },
	} {
		if err := set(); err != nil {
			r.close()
			return nil, fmt.Errorf("broker: router socket: %w", err)
		}
	}
	return r, nil
}

// close closes the socket (its linger applies) and then the context.
func (r *router) close() {
	runtime.SetFinalizer(r, nil)
	r.Close()
	r.ctx.Term()
}
