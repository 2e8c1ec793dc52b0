package mdptest

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"
	"go.uber.org/goleak"

	"github.com/majordomo-go/majordomo/mdp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The scripted broker hands every message to its script, parse errors
// included, records its sender, and sends back what the script sends.
func TestScriptedAndPeer(t *testing.T) {
	parseErrors := make(chan error, 1)
	s := StartScripted(t, "", func(c *Call) {
		if c.Err != nil {
			parseErrors <- c.Err
			return
		}
		c.ReplyPlain(c.From, &c.Msg, true, []byte("part"))
		c.ReplyPlain(c.From, &c.Msg, false, []byte("final"))
	})
	p := Dial(t, s.Endpoint, zmq.DEALER)
	p.SendFrames([]byte("garbage"))
	if err := Receive(t, parseErrors, "the parse error"); err == nil {
		t.Fatal("no parse error for garbage")
	}
	p.Send(mdp.Message{Version: mdp.V02, Kind: mdp.ClientRequest, Service: "echo", Body: [][]byte{[]byte("x")}})
	if m := p.Expect(mdp.ClientPartial); string(m.Body[0]) != "part" {
		t.Fatalf("partial %q", m.Body)
	}
	if m := p.Expect(mdp.ClientFinal); m.Version != mdp.V02 || string(m.Body[0]) != "final" {
		t.Fatalf("final %v %q", m.Version, m.Body)
	}
	if got := s.Senders(); len(got) != 2 || !bytes.Equal(got[0], got[1]) {
		t.Fatalf("senders %q, want the peer's identity twice", got)
	}
	if _, ok := p.RecvFramesWithin(20 * time.Millisecond); ok {
		t.Fatal("a third message came")
	}
}

// Reset closes the proxied connections and forwards new ones; Cut refuses
// them until Restore.
func TestProxy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var echoes sync.WaitGroup // the echo server's goroutines
	echoes.Add(1)
	go func() {
		defer echoes.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			echoes.Add(1)
			go func() {
				defer echoes.Done()
				defer c.Close()
				b := make([]byte, 1)
				c.Read(b)
				c.Write(b)
			}()
		}
	}()
	defer func() { ln.Close(); echoes.Wait() }()
	p := StartProxy(t, "tcp://"+ln.Addr().String())
	roundTrip := func() error {
		c, err := net.DialTimeout("tcp", p.Addr(), Timeout)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(Timeout))
		if _, err := c.Write([]byte("x")); err != nil {
			return err
		}
		b := make([]byte, 1)
		_, err = c.Read(b)
		return err
	}
	if err := roundTrip(); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	p.Reset()
	if err := roundTrip(); err != nil || p.Accepted() != 2 {
		t.Fatalf("after Reset: %v, %d accepted", err, p.Accepted())
	}
	p.Cut()
	if err := roundTrip(); err == nil {
		t.Fatal("a connection went through a cut proxy")
	}
	p.Restore()
	if err := roundTrip(); err != nil || p.Accepted() != 3 {
		t.Fatalf("after Restore: %v, %d accepted", err, p.Accepted())
	}
}

func TestEventually(t *testing.T) {
	n := 0
	if !Eventually(Timeout, func() bool { n++; return n == 3 }) || n != 3 {
		t.Fatalf("Eventually stopped at %d", n)
	}
	if Eventually(5*time.Millisecond, func() bool { return false }) {
		t.Fatal("a condition that never holds held")
	}
}
