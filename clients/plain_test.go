package clients

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
)

func TestPlainMDP01(t *testing.T) {
	p := startPlainBroker(t, func(c *mdptest.Call, id []byte, m *mdp.Message) {
		if m.Version != mdp.V01 {
			t.Errorf("request in %v", m.Version)
		}
		c.ReplyPlain(id, m, false, append([][]byte{[]byte("echo")}, m.Body...)...)
	})
	c := newClient(t, []string{p.Endpoint}, WithProtocol(ProtocolV01))
	ctx := testContext(t, 10*time.Second)
	for i := 0; i < 3; i++ {
		reply, err := c.Request(ctx, "svc", []byte("hi"))
		if err != nil || !equalFrames(reply, frames("echo", "hi")) {
			t.Fatalf("reply %q, %v", reply, err)
		}
	}
	// Answered sockets are reused: one identity for the three requests.
	ids := p.Senders()
	if len(ids) != 3 || !bytes.Equal(ids[0], ids[2]) {
		t.Fatalf("identities %x", ids)
	}
}

// The first attempt is answered only after the retry has arrived, from a
// new socket: the late reply goes to the old identity, which is gone, so
// the client sees only the answer to its retry.
func TestPlainRetryUsesFreshSocket(t *testing.T) {
	var first []byte
	var firstReq mdp.Message
	p := startPlainBroker(t, func(c *mdptest.Call, id []byte, m *mdp.Message) {
		if first == nil {
			first, firstReq = id, *m
			return // no answer yet
		}
		c.ReplyPlain(first, &firstReq, false, []byte("stale"))
		c.ReplyPlain(id, m, false, []byte("fresh"))
	})
	c := newClient(t, []string{p.Endpoint}, WithProtocol(ProtocolV01), WithTimeout(200*time.Millisecond), WithRetries(5))
	reply, err := c.Request(testContext(t, 10*time.Second), "svc")
	if err != nil || !equalFrames(reply, frames("fresh")) {
		t.Fatalf("reply %q, %v", reply, err)
	}
	// Every attempt came from an identity of its own (on a loaded machine
	// there may be more than one retry).
	ids := p.Senders()
	distinct := map[string]bool{}
	for _, id := range ids {
		distinct[string(id)] = true
	}
	if len(ids) < 2 || len(distinct) != len(ids) {
		t.Fatalf("attempts came from identities %x: want a new one for each", ids)
	}
	// The next request is not confused by the stale reply either.
	reply, err = c.Request(testContext(t, 10*time.Second), "svc")
	if err != nil || !equalFrames(reply, frames("fresh")) {
		t.Fatalf("second reply %q, %v", reply, err)
	}
	if s := c.Stats(); s.Retries == 0 || s.Replies != 2 {
		t.Fatalf("stats %+v", s)
	}
}

func TestPlainMDP02Stream(t *testing.T) {
	p := startPlainBroker(t, func(c *mdptest.Call, id []byte, m *mdp.Message) {
		if m.Version != mdp.V02 {
			t.Errorf("request in %v", m.Version)
		}
		c.ReplyPlain(id, m, true, []byte("part"))
		c.ReplyPlain(id, m, false, []byte("final"))
	})
	c := newClient(t, []string{p.Endpoint}, WithProtocol(ProtocolV02))
	s := c.Stream(testContext(t, 10*time.Second), "svc")
	defer s.Close()
	var got []string
	for s.Next() {
		got = append(got, string(s.Body()[0]))
	}
	if s.Err() != nil || len(got) != 2 || got[0] != "part" || got[1] != "final" {
		t.Fatalf("stream %q, %v", got, s.Err())
	}
}

func TestPlainTimeoutAndCancel(t *testing.T) {
	p := startPlainBroker(t, func(*mdptest.Call, []byte, *mdp.Message) {})
	c := newClient(t, []string{p.Endpoint}, WithProtocol(ProtocolV01), WithTimeout(20*time.Millisecond), WithRetries(1))
	if _, err := c.Request(context.Background(), "svc"); !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	mdptest.WaitFor(t, "two attempts from two identities", func() bool { return len(p.Senders()) == 2 })
	if ids := p.Senders(); bytes.Equal(ids[0], ids[1]) {
		t.Fatal("the retry reused the timed-out socket")
	}
	ctx, cancel := context.WithCancel(context.Background())
	call := c.Go(ctx, "svc")
	cancel()
	<-call.Done
	if !errors.Is(call.Err, context.Canceled) {
		t.Fatalf("err = %v, want Canceled", call.Err)
	}
}

// Garbage and replies in the wrong protocol are dropped and counted; the
// request still gets its reply.
func TestMalformedRepliesDroppedAndCounted(t *testing.T) {
	p := startPlainBroker(t, func(c *mdptest.Call, id []byte, m *mdp.Message) {
		c.SendTo(id, []byte{}, []byte("MDPX01"), []byte("junk"))
		c.ReplyPlain(id, &mdp.Message{Version: mdp.V02, Service: m.Service}, false, []byte("wrong version"))
		c.ReplyPlain(id, m, false, []byte("right"))
	})
	c := newClient(t, []string{p.Endpoint}, WithProtocol(ProtocolV01))
	reply, err := c.Request(testContext(t, 10*time.Second), "svc")
	if err != nil || !equalFrames(reply, frames("right")) {
		t.Fatalf("reply %q, %v", reply, err)
	}
	if s := c.Stats(); s.Malformed != 2 || s.Replies != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// Plain clients through the real broker, to an extension worker: the
// broker answers each in its own form.
func TestPlainClientsThroughRealBroker(t *testing.T) {
	b := startRealBroker(t, "")
	startWorker(t, b.Endpoint(), "count", func(m *mdp.Message) action {
		return action{partials: [][][]byte{frames("1"), frames("2")}, final: m.Body}
	})
	for _, p := range []Protocol{ProtocolV01, ProtocolV02} {
		t.Run(p.String(), func(t *testing.T) {
			c := newClient(t, []string{b.Endpoint()}, WithProtocol(p))
			reply, err := c.Request(testContext(t, 10*time.Second), "count", []byte("done"))
			if err != nil || !equalFrames(reply, frames("done")) {
				t.Fatalf("reply %q, %v", reply, err)
			}
			ok, err := c.ServiceExists(testContext(t, 10*time.Second), "count")
			if !ok || err != nil {
				t.Fatalf("ServiceExists: %v, %v", ok, err)
			}
			if p == ProtocolV02 {
				s := c.Stream(testContext(t, 10*time.Second), "count", []byte("done"))
				defer s.Close()
				var got []string
				for s.Next() {
					got = append(got, string(s.Body()[0]))
				}
				if s.Err() != nil || strings.Join(got, " ") != "1 2 done" {
					t.Fatalf("stream %q, %v", got, s.Err())
				}
			}
		})
	}
}

// An answered socket is reused; the socket of a cancelled request is not:
// the broker's late reply to it must not be read as the next request's.
func TestPlainCancelDropsSocket(t *testing.T) {
	p := startPlainBroker(t, func(c *mdptest.Call, id []byte, m *mdp.Message) {
		if string(m.Body[0]) != "hang" {
			c.ReplyPlain(id, m, false, m.Body...)
		}
	})
	c := newClient(t, []string{p.Endpoint}, WithProtocol(ProtocolV01), WithTimeout(time.Minute))
	ask := func(what string) {
		t.Helper()
		if reply, err := c.Request(testContext(t, 10*time.Second), "svc", []byte(what)); err != nil || !equalFrames(reply, frames(what)) {
			t.Fatalf("reply %q, %v", reply, err)
		}
	}
	ask("one")
	ctx, cancel := context.WithCancel(context.Background())
	call := c.Go(ctx, "svc", []byte("hang"))
	mdptest.WaitFor(t, "the hanging request at the broker", func() bool { return len(p.Senders()) == 2 })
	cancel()
	if _, err := call.Wait(); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want Canceled", err)
	}
	ask("two")
	ids := p.Senders()
	if !bytes.Equal(ids[0], ids[1]) {
		t.Fatalf("identities %x: the answered socket was not reused", ids)
	}
	if bytes.Equal(ids[1], ids[2]) {
		t.Fatalf("identities %x: the cancelled request's socket was reused", ids)
	}
}
