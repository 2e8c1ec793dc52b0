package clients

import (
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/internal/zsock"
	"github.com/majordomo-go/majordomo/mdp"
)

// Plain mode (MDP/0.1 or MDP/0.2 without the extension): replies carry no
// request UUID, so a socket carries one request at a time and the socket
// itself says which request a reply belongs to. A request whose attempt
// timed out or was abandoned takes its socket with it: the socket is
// closed, and the retry goes out on a new one, which has a new identity at
// the broker, so a late reply to the old attempt is dropped by the broker's
// ROUTER and can never be taken for the answer to something else.
// Answered sockets are kept for reuse, up to maxIdleLinks per broker.
const maxIdleLinks = 8

// link is one plain-mode socket.
type link struct {
	id     int // in the loop's zready set
	sock   *zsock.Socket
	broker int
	req    *request // in flight on it; nil when idle
}

type plainLinks struct {
	brokers []string
	byID    map[int]*link // every open socket
	nextID  int
	idle    [][]*link // by broker
}

func newPlainLinks(brokers []string) plainLinks {
	return plainLinks{brokers: brokers, byID: make(map[int]*link),
		nextID: firstLinkID, idle: make([][]*link, len(brokers))}
}

// send makes r's attempt on a socket of its own to r.broker.
func (p *plainLinks) send(l *loop, r *request) error {
	lk, err := p.take(l, r.broker)
	if err != nil {
		return err
	}
	lk.req, r.link = r, lk
	m := mdp.Message{Version: mdp.V01, Kind: mdp.ClientRequest, Service: r.call.Service, Body: r.call.Body}
	if l.o.protocol == ProtocolV02 {
		m.Version = mdp.V02
	}
	return l.sendMessage(lk.sock, &m)
}

func (p *plainLinks) take(l *loop, b int) (*link, error) {
	if n := len(p.idle[b]); n > 0 {
		lk := p.idle[b][n-1]
		p.idle[b][n-1] = nil
		p.idle[b] = p.idle[b][:n-1]
		return lk, nil
	}
	s, err := newDealer(l.zctx, p.brokers[b], l.o.curve)
	if err != nil {
		return nil, err
	}
	lk := &link{id: p.nextID, sock: s, broker: b}
	if err := l.ready.AddSocket(lk.id, s); err != nil {
		s.Close()
		return nil, fmt.Errorf("clients: %w", err)
	}
	p.nextID++
	p.byID[lk.id] = lk
	return lk, nil
}

// release keeps the socket of an answered request for the next one.
func (p *plainLinks) release(l *loop, r *request) {
	lk := r.link
	if lk == nil {
		return
	}
	r.link, lk.req = nil, nil
	if len(p.idle[lk.broker]) >= maxIdleLinks {
		p.close(l, lk)
		return
	}
	p.idle[lk.broker] = append(p.idle[lk.broker], lk)
}

// drop closes the socket of a request that gave up on its attempt.
func (p *plainLinks) drop(l *loop, r *request) {
	if lk := r.link; lk != nil {
		r.link = nil
		p.close(l, lk)
	}
}

// close closes a socket that is in flight or unexpected; idle sockets are
// closed only by closeAll.
func (p *plainLinks) close(l *loop, lk *link) {
	delete(p.byID, lk.id)
	l.ready.Remove(lk.id) // before its ZMQ_FD goes
	lk.sock.Close()
	lk.req = nil
}

func (p *plainLinks) closeAll() {
	for _, lk := range p.byID {
		lk.sock.Close()
	}
	clear(p.byID)
	clear(p.idle)
}

// onPlainMessage handles a message on a plain-mode socket.
func (l *loop) onPlainMessage(lk *link, frames [][]byte) {
	r := lk.req
	if r == nil {
		// Nothing is in flight on an idle socket; whatever came is not for
		// anyone. Close it so it cannot be read as a later reply.
		l.c.stats.stale.Add(1)
		l.plain.removeIdle(lk)
		l.plain.close(l, lk)
		return
	}
	m, err := mdp.ParseDealer(frames)
	want := mdp.V01
	if l.o.protocol == ProtocolV02 {
		want = mdp.V02
	}
	if err == nil && (m.Ext || m.Version != want) {
		err = fmt.Errorf("%s %s (ext=%v) on a %s socket", m.Version, m.Kind, m.Ext, want)
	}
	if err != nil {
		l.c.stats.malformed.Add(1)
		l.log.Warn("clients: dropped a malformed message", zap.String("broker", l.c.brokers[lk.broker]), zap.Error(err))
		return
	}
	switch m.Kind {
	case mdp.ClientPartial:
		l.onPartial(r, m.Body, time.Now())
	case mdp.ClientFinal:
		l.cur = lk.broker
		l.end(r, m.Body, nil, true)
	}
}

func (p *plainLinks) removeIdle(lk *link) {
	idle := p.idle[lk.broker]
	for i, x := range idle {
		if x == lk {
			p.idle[lk.broker] = append(idle[:i], idle[i+1:]...)
			return
		}
	}
}
