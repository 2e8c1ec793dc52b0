package broker

import (
	"fmt"
	"math"
	"runtime"

	"github.com/majordomo-go/majordomo/internal/zsock"
	"go.uber.org/zap"
)

// router is the broker's ROUTER socket and the libzmq context (one I/O
// thread) it alone uses. Messages cross cgo whole (package zsock). It
// belongs to the loop goroutine.
type router struct {
	ctx *zsock.Context
	*zsock.Socket
	zap *zapHandler // with CURVE: the ZAP handler, in ctx
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
		func() error { return sock.SetMaxMsgSize(libzmqMessageBound(cfg.MaxMessageSize)) },
		func() error { return sock.SetHWM(100000, 100000) },
	} {
		if err := set(); err != nil {
			r.close()
			return nil, fmt.Errorf("broker: router socket: %w", err)
		}
	}
	sock.SetRecvProperties(true) // each message's User-Id (key) and Peer-Address
	if err := r.secure(cfg); err != nil {
		r.close()
		return nil, err
	}
	cfg.Logger.Info("router: a peer whose message makes libzmq hold more is disconnected",
		zap.Int64("libzmq_max_message_bytes", libzmqMessageBound(cfg.MaxMessageSize)))
	return r, nil
}

// libzmqFrameAllowance is what libzmq may hold for one frame beyond its
// data: a 64-byte msg_t, and at worst the whole receive buffer (8 KiB of
// data and its reference counts, about 18 KiB) the frame is stored in.
const libzmqFrameAllowance = 32 << 10

// libzmqMessageBound is the ROUTER's ZMQ_MAXMSGSIZE for a MaxMessageSize
// of max. With scripts/libzmq's patch libzmq bounds by it what it holds of
// one message before the broker sees any of it (frame by frame: data,
// msg_t, receive buffers) and closes the connection of a peer that sends
// more; without the patch it bounds each frame. It is twice max plus
// libzmqFrameAllowance per frame for MaxFrames frames, so a message of at
// most MaxFrames frames and 2 × max bytes always reaches the receive path,
// which drops it and answers 413, and only grossly oversize messages (in
// bytes or frames) cost the sender its connection.
func libzmqMessageBound(max int64) int64 {
	const frames = MaxFrames * libzmqFrameAllowance
	if max > (math.MaxInt64-frames)/2 {
		return math.MaxInt64
	}
	return 2*max + frames
}

// secure makes the endpoints bound after it CURVE servers, with the ZAP
// handler bound first, when cfg has a secret key.
func (r *router) secure(cfg Config) error {
	if cfg.CurveSecretKey == "" {
		return nil
	}
	secret, err := zsock.ParseKey(cfg.CurveSecretKey)
	if err != nil {
		return fmt.Errorf("broker: curve secret key: %w", err)
	}
	if r.zap, err = newZAPHandler(r.ctx, cfg.Access, cfg.Logger.Named("zap")); err != nil {
		return err
	}
	if err := r.SetCurveServer(secret); err != nil {
		return fmt.Errorf("broker: router socket: %w", err)
	}
	if err := r.SetZAPDomain(ZAPDomain); err != nil {
		return fmt.Errorf("broker: router socket: %w", err)
	}
	public, err := zsock.PublicKey(secret)
	if err != nil {
		return fmt.Errorf("broker: curve secret key: %w", err)
	}
	if cfg.Access == nil {
		cfg.Logger.Warn("CURVE without an access policy: every client and worker key is let in (encryption only)",
			zap.Stringer("public_key", public))
	} else {
		cfg.Logger.Info("CURVE with an access policy", zap.Stringer("public_key", public),
			zap.Int("keys", cfg.Access.Keys()), zap.Int("rules", cfg.Access.Rules()))
	}
	return nil
}

// close closes the socket (its linger applies), stops the ZAP handler,
// and then terminates the context.
func (r *router) close() {
	runtime.SetFinalizer(r, nil)
	r.Close()
	if r.zap != nil {
		r.zap.stop()
	}
	r.ctx.Term()
}
