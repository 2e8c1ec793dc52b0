package broker

import (
	"errors"
	"fmt"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/majordomo-go/majordomo/internal/zsock"
	"go.uber.org/zap"
)

// ZAPDomain is the ZAP domain (RFC 27) of the broker's CURVE endpoints.
const ZAPDomain = "majordomo"

// zapHandler answers libzmq's ZAP requests (RFC 27) for the broker's CURVE
// endpoints: a client key the access policy lists is let in, with its Z85
// as the connection's User-Id, so that the loop sees each message's sender
// key; any other key is refused (400) and counted. Without a policy every
// key is let in. Its ROUTER is bound at zsock.ZAPAddress in the broker's
// context before the broker binds its endpoints; its goroutine runs while
// the broker runs, and the policy is swapped at run time through access.
type zapHandler struct {
	sock     *zsock.Socket
	access   atomic.Pointer[Access]
	accepted atomic.Uint64
	refused  atomic.Uint64
	log      *zap.Logger
	logs     logBucket // refusals logged, rate-limited (owned by the goroutine)

	stopPipe *wakePipe
	done     chan struct{}
}

// newZAPHandler binds the handler's socket in ctx. start runs it.
func newZAPHandler(ctx *zsock.Context, a *Access, log *zap.Logger) (*zapHandler, error) {
	sock, err := ctx.NewSocket(zsock.ROUTER)
	if err != nil {
		return nil, fmt.Errorf("broker: zap handler: %w", err)
	}
	if _, err := sock.Bind(zsock.ZAPAddress); err != nil {
		sock.Close()
		return nil, fmt.Errorf("broker: zap handler: bind %s: %w", zsock.ZAPAddress, err)
	}
	sock.SetLinger(0)
	h := &zapHandler{sock: sock, log: log}
	h.access.Store(a)
	return h, nil
}

// start runs the handler in its own goroutine until stop.
func (h *zapHandler) start() error {
	p, err := newWakePipe()
	if err != nil {
		return err
	}
	h.stopPipe, h.done = p, make(chan struct{})
	go h.run()
	return nil
}

// stop ends the goroutine (if it was started) and closes the socket, which
// must happen before the context is terminated.
func (h *zapHandler) stop() {
	if h.done == nil {
		h.sock.Close()
		return
	}
	h.stopPipe.poke()
	<-h.done
	h.stopPipe.close()
}

func (h *zapHandler) run() {
	defer close(h.done)
	defer h.sock.Close()
	poller, err := zsock.NewPoller(zsock.PollItem{Socket: h.sock}, zsock.PollItem{Fd: h.stopPipe.r})
	if err != nil {
		h.log.Error("zap handler cannot poll: every CURVE handshake will hang", zap.Error(err))
		return
	}
	defer poller.Close()
	for {
		if _, err := poller.Wait(-1); err != nil && !errors.Is(err, syscall.EINTR) {
			h.log.Error("zap handler: poll failed", zap.Error(err))
			return
		}
		if poller.Ready(1) {
			return
		}
		if poller.Ready(0) {
			h.serve()
		}
	}
}

// serve answers every ZAP request waiting.
func (h *zapHandler) serve() {
	for {
		req, err := h.sock.Recv(zsock.DontWait)
		if err != nil {
			return
		}
		if reply := h.answer(req); reply != nil {
			if err := h.sock.Send(reply, zsock.DontWait); err != nil {
				h.log.Warn("zap handler: reply not sent", zap.Error(err))
			}
		}
	}
}

// answer decides one ZAP request: routing id, "", version, request id,
// domain, address, identity, mechanism, credentials. A request in another
// shape gets no reply (libzmq sends none such).
func (h *zapHandler) answer(req [][]byte) [][]byte {
	if len(req) < 8 || len(req[1]) != 0 || string(req[2]) != "1.0" {
		h.log.Warn("zap handler: malformed ZAP request dropped", zap.Int("frames", len(req)))
		return nil
	}
	status, text, user := "400", "key not allowed", ""
	mechanism, address := string(req[7]), string(req[5])
	var key zsock.Key
	switch {
	case mechanism != "CURVE" || len(req) != 9 || len(req[8]) != zsock.KeySize:
		text = "CURVE required"
	default:
		copy(key[:], req[8])
		if z, ok := h.access.Load().admit(key); ok {
			status, text, user = "200", "OK", z
		}
	}
	if status == "200" {
		h.accepted.Add(1)
	} else {
		h.refused.Add(1)
		h.logRefused(mechanism, address, key)
	}
	return [][]byte{req[0], {}, []byte("1.0"), req[3], []byte(status), []byte(text), []byte(user), {}}
}

// logRefused logs a refused handshake at warn, at most workerLogBurst at
// once and one per workerLogRefill after that.
func (h *zapHandler) logRefused(mechanism, address string, key zsock.Key) {
	ok, suppressed := h.logs.take(time.Now())
	if !ok {
		return
	}
	fields := []zap.Field{zap.String("mechanism", mechanism), zap.String("address", address)}
	if mechanism == "CURVE" {
		fields = append(fields, zap.String("key", key.String()))
	}
	if suppressed > 0 {
		fields = append(fields, zap.Uint64("suppressed", suppressed))
	}
	h.log.Warn("handshake refused: key not in the access policy", fields...)
}
