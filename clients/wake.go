package clients

import (
	zmq "github.com/pebbe/zmq4"
	"go.uber.org/zap"
)

// wakeRelay owns the sending end of the loop's inproc wake-up pair: the
// API's goroutines kick it through a channel, and it alone touches the
// socket, so that no ZeroMQ socket is shared between goroutines. (The loop
// polls with pebbe/zmq4, which can watch ZeroMQ sockets only; once the
// extension sockets are on internal/zsock, the loop polls an
// internal/wakeup pipe instead and this goroutine goes.)
type wakeRelay struct {
	kick chan struct{}
	quit chan struct{}
	done chan struct{}
}

// startWakeRelay hands tx to a new goroutine.
func startWakeRelay(tx *zmq.Socket, log *zap.Logger) *wakeRelay {
	r := &wakeRelay{kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		defer tx.Close()
		for {
			select {
			case <-r.kick:
				// The pair holds at most one byte at a time (Client.woken),
				// so this fails only once the loop's end is gone.
				if _, err := tx.SendBytes(wakeByte, zmq.DONTWAIT); err != nil {
					log.Warn("clients: waking the loop failed", zap.Error(err))
				}
			case <-r.quit:
				return
			}
		}
	}()
	return r
}

// wake asks for one wake-up byte; it never blocks.
func (r *wakeRelay) wake() {
	select {
	case r.kick <- struct{}{}:
	default: // one is on its way
	}
}

// stop ends the goroutine and closes the socket.
func (r *wakeRelay) stop() {
	close(r.quit)
	<-r.done
}

var wakeByte = []byte{1}
