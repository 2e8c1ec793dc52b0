package clients

import (
	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/mdp"
)

// withdraw tells the broker of r's current attempt that the client has
// given it up (XCANCEL), so that a broker still holding it in its queue
// drops it instead of running it later: the request moved on to another
// broker, ran out of attempts or time, or its caller cancelled. It is best
// effort and never waits: a socket with no connection (a dead broker,
// whose queue is gone anyway) or no room drops it, counted in
// Stats().CancelsDropped. A request a worker already holds finishes there
// (see the package doc for what that leaves).
func (l *loop) withdraw(r *request) {
	if !r.out {
		return
	}
	r.out = false
	m := mdp.Message{Version: mdp.V02, Kind: mdp.ClientCancel, Ext: true, Service: r.call.Service, UUID: r.id}
	if err := l.sendMessage(l.dealers[r.broker], &m); err != nil {
		l.c.stats.cancelsDropped.Add(1)
		l.log.Debug("clients: withdrawal not sent", zap.Stringer("uuid", r.id), zap.Error(err))
		return
	}
	l.c.stats.cancels.Add(1)
}
