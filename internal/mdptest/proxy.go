package mdptest

import (
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy forwards loopback TCP connections to a target. Reset closes the
// connections made so far (their peers reconnect through it: a ZeroMQ
// ROUTER then knows a reconnected DEALER under a new identity); Cut closes
// them and refuses new ones until Restore (a partition).
type Proxy struct {
	ln       net.Listener
	target   string
	accepted atomic.Int64

	mu    sync.Mutex
	cut   bool
	conns []net.Conn
	wg    sync.WaitGroup
}

// StartProxy listens on an ephemeral loopback port and forwards to target
// ("host:port" or "tcp://host:port"). The test's cleanup stops it and
// waits for its goroutines.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: strings.TrimPrefix(target, "tcp://")}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.Cut()
		p.wg.Wait()
	})
	return p
}

// Addr is the proxy's "host:port".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Endpoint is the proxy's ZeroMQ endpoint, "tcp://host:port".
func (p *Proxy) Endpoint() string { return "tcp://" + p.Addr() }

// Accepted is how many connections the proxy has forwarded.
func (p *Proxy) Accepted() int64 { return p.accepted.Load() }

// Reset closes every connection made so far; new ones are forwarded.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closeAll()
}

// Cut closes every connection and refuses new ones until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	p.closeAll()
}

// Restore forwards new connections again after Cut.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

func (p *Proxy) closeAll() {
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.forward(in) {
			in.Close()
		}
	}
}

// forward dials the target for in and pipes both ways; false when cut or
// when the target does not answer.
func (p *Proxy) forward(in net.Conn) bool {
	p.mu.Lock()
	cut := p.cut
	p.mu.Unlock()
	if cut {
		return false
	}
	out, err := net.Dial("tcp", p.target)
	if err != nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut { // cut while dialling
		out.Close()
		return false
	}
	p.conns = append(p.conns, in, out)
	p.wg.Add(2)
	go p.pipe(in, out)
	go p.pipe(out, in)
	p.accepted.Add(1)
	return true
}

func (p *Proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	io.Copy(dst, src)
	dst.Close()
	src.Close()
}
