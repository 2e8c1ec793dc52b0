package tests

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

// Issue 9, item 2, in libzmq. libzmq holds every frame of a multipart
// message until its last one arrives, before the broker sees any of it,
// and stock ZMQ_MAXMSGSIZE bounds single frames only: one message of many
// small or empty frames could take all the broker's memory. With
// scripts/libzmq/multipart-message-size.patch, ZMQ_MAXMSGSIZE bounds what
// libzmq holds of a whole message and the connection of a peer that sends
// more is closed; the broker sets it to floodLibzmqBound (spec/mdp.md).
//
// A raw ZMTP peer of each version sends one message far over that bound:
// 256 MiB in 1 KiB frames, or a million empty frames (with PINGs between
// frames over ZMTP 3.1, which must not restart the count). Its connection
// must be closed, the broker must answer another client while the message
// arrives and after, and its peak RSS must stay under its baseline +
// floodLibzmqBound + floodMargin (the Go runtime, socket and allocator
// slack). Against a libzmq without the patch the test fails: every message
// arrives whole, no connection is closed, and the broker's RSS peaks at
// hundreds of MiB (checked with the +majordomo1 library).
const (
	// floodLibzmqBound is the broker's ZMQ_MAXMSGSIZE for a MaxMessageSize
	// of rssMaxMessage: 2 × MaxMessageSize + 32 KiB × MaxFrames (40 MiB).
	floodLibzmqBound = 2*rssMaxMessage + broker.MaxFrames*32<<10
	floodMargin      = 24 << 20
)

func TestGrossMultipartMessagesCloseTheConnection(t *testing.T) {
	b := startTestBrokerProcess(t)
	addr := strings.TrimPrefix(b.ep, "tcp://")
	c := mdptest.Dial(t, b.ep, zmq.DEALER)
	serves := func(when string) {
		t.Helper()
		id := uuid.New()
		c.Send(mdp.Message{Version: mdp.V02, Kind: mdp.ClientRequest, Ext: true, Service: "nobody",
			UUID: id, Timeout: time.Minute, Flags: mdp.FlagFailFast})
		if m := c.Recv(); m.UUID != id || m.Status != mdp.StatusNotFound {
			t.Fatalf("%s: %v %d for %v, want 404 for %v", when, m.Kind, m.Status, m.UUID, id)
		}
	}
	serves("warm-up")
	baseline := procStatusKB(t, b.cmd.Process.Pid, "VmRSS")

	floods := []struct {
		name                 string
		size, frames, midway int
	}{
		{"256MiB-in-1KiB-frames", 1 << 10, 256 << 10, 1 << 10},
		{"1M-empty-frames", 0, 1_000_000, 100_000},
	}
	for _, p := range zmtpPeers() {
		for _, f := range floods {
			name := p.name + "/" + f.name
			midway := false
			sent, err := floodUntilClosed(addr, p, f.size, f.frames, f.midway, func() {
				serves(name + ", while the message arrives")
				midway = true
			})
			switch {
			case errors.Is(err, errNotClosed):
				t.Errorf("%s: the broker took the whole message and kept the connection", name)
			case err != nil:
				t.Fatalf("%s: %v", name, err)
			default:
				t.Logf("%s: connection closed by the broker (%d frames written)", name, sent)
			}
			if !midway {
				t.Errorf("%s: connection closed after %d frames, before another client was served", name, sent)
			}
			serves(name + ", after")
		}
	}

	peak := procStatusKB(t, b.cmd.Process.Pid, "VmHWM")
	bound := baseline + (floodLibzmqBound+floodMargin)>>10
	t.Logf("broker RSS: %d KiB before, peak %d KiB after the floods; bound %d KiB", baseline, peak, bound)
	if peak > bound {
		t.Errorf("broker peak RSS %d KiB, over the bound of %d KiB", peak, bound)
	}
	select {
	case <-b.done:
		t.Fatalf("the broker process exited: %v", b.err)
	default:
	}
}

// The other side of the bound: a message of up to MaxFrames frames and
// 2 × MaxMessageSize bytes reaches the broker and is answered 413, the
// connection kept (spec/mdp.md). 1,000 frames of 8,000 bytes: 8 MB, as
// large as the guarantee allows here, in frames of a size that libzmq
// stores in place in its 8 KiB receive buffers or copies out of them.
func TestMessagesWithinTwiceTheBoundGet413(t *testing.T) {
	b := startTestBrokerProcess(t)
	c := mdptest.Dial(t, b.ep, zmq.DEALER)
	frame := make([]byte, 8000)
	body := make([][]byte, 1000)
	for i := range body {
		body[i] = frame
	}
	for i := range 3 {
		id := uuid.New()
		c.Send(mdp.Message{Version: mdp.V02, Kind: mdp.ClientRequest, Ext: true, Service: "big",
			UUID: id, Timeout: time.Minute, Flags: mdp.FlagFailFast, Body: body})
		if m := c.Recv(); m.UUID != id || m.Kind != mdp.ClientError || m.Status != mdp.StatusTooLarge {
			t.Fatalf("message %d: %v %d for %v, want 413 for %v", i, m.Kind, m.Status, m.UUID, id)
		}
	}
}
