package zsock

import (
	"bytes"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// pair is a ROUTER bound on loopback and a DEALER connected to it.
func pair(t *testing.T) (router, dealer *Socket) {
	t.Helper()
	ctx, err := NewContext()
	if err != nil {
		t.Fatal(err)
	}
	if router, err = ctx.NewSocket(ROUTER); err != nil {
		t.Fatal(err)
	}
	if dealer, err = ctx.NewSocket(DEALER); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		router.Close()
		dealer.Close()
		dealer.Close() // twice is fine
		if err := ctx.Term(); err != nil {
			t.Errorf("Term: %v", err)
		}
	})
	if err := router.SetRouterMandatory(true); err != nil {
		t.Fatal(err)
	}
	ep, err := router.Bind("tcp://127.0.0.1:*")
	if err != nil || ep == "tcp://127.0.0.1:*" {
		t.Fatalf("Bind: %q, %v", ep, err)
	}
	if err := dealer.Connect(ep); err != nil {
		t.Fatal(err)
	}
	return router, dealer
}

// recvWithin polls s until a message comes, failing after 10 s.
func recvWithin(t *testing.T, s *Socket) [][]byte {
	t.Helper()
	waitReadable(t, s)
	frames, err := s.Recv(DontWait)
	if err != nil {
		t.Fatal(err)
	}
	return frames
}

// waitReadable polls s until a message can be received, failing after 10 s.
func waitReadable(t *testing.T, s *Socket) {
	t.Helper()
	p, err := NewPoller(PollItem{Socket: s})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if n, err := p.Wait(10 * time.Second); err != nil || n != 1 || !p.Ready(0) {
		t.Fatalf("Wait: %d, %v", n, err)
	}
}

// Frames of every size, empty and large among them, cross whole both ways.
func TestRoundTrip(t *testing.T) {
	router, dealer := pair(t)
	big := bytes.Repeat([]byte("abcdefgh"), 1<<19)
	msg := [][]byte{{}, []byte("x"), big, {}, []byte("last")}
	if err := dealer.Send(msg, 0); err != nil {
		t.Fatal(err)
	}
	got := recvWithin(t, router)
	if len(got) != len(msg)+1 || len(got[0]) == 0 {
		t.Fatalf("router got %d frames (identity %q)", len(got), got[0])
	}
	for i := range msg {
		if !bytes.Equal(got[i+1], msg[i]) {
			t.Fatalf("frame %d: %d bytes, want %d", i, len(got[i+1]), len(msg[i]))
		}
	}
	got[1] = append(got[1], 'z') // frames do not overlap: appending cannot clobber the next one
	if !bytes.Equal(got[2], []byte("x")) {
		t.Fatalf("frames share capacity: %q", got[2])
	}
	if err := router.Send(append([][]byte{got[0]}, []byte("back")), DontWait); err != nil {
		t.Fatal(err)
	}
	if back := recvWithin(t, dealer); len(back) != 1 || string(back[0]) != "back" {
		t.Fatalf("dealer got %q", back)
	}
}

// RecvView sees the frames Recv would copy, small (kept inside libzmq's
// message) and large (kept outside) alike, and they can be sent on as
// they are.
func TestRecvView(t *testing.T) {
	router, dealer := pair(t)
	big := bytes.Repeat([]byte("0123456789"), 1000)
	for _, msg := range [][][]byte{
		{[]byte("a")},
		{{}, []byte("small"), big, {}},
		{big, big, big, []byte("z")},
	} {
		if err := dealer.Send(msg, 0); err != nil {
			t.Fatal(err)
		}
		waitReadable(t, router)
		got, err := router.RecvView(DontWait)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(msg)+1 {
			t.Fatalf("router got %d frames, want %d", len(got), len(msg)+1)
		}
		for i := range msg {
			if !bytes.Equal(got[i+1], msg[i]) {
				t.Fatalf("frame %d: %d bytes, want %d", i, len(got[i+1]), len(msg[i]))
			}
		}
		if err := router.Send(got, DontWait); err != nil { // echoed from libzmq's buffers
			t.Fatal(err)
		}
		back := recvWithin(t, dealer)
		if len(back) != len(msg) {
			t.Fatalf("dealer got %d frames, want %d", len(back), len(msg))
		}
		for i := range msg {
			if !bytes.Equal(back[i], msg[i]) {
				t.Fatalf("echoed frame %d: %d bytes, want %d", i, len(back[i]), len(msg[i]))
			}
		}
	}
	if _, err := router.RecvView(DontWait); !errors.Is(err, syscall.EAGAIN) {
		t.Fatalf("RecvView with nothing queued: %v, want EAGAIN", err)
	}
}

func TestErrors(t *testing.T) {
	router, dealer := pair(t)
	if _, err := router.Recv(DontWait); !errors.Is(err, syscall.EAGAIN) {
		t.Fatalf("Recv with nothing queued: %v, want EAGAIN", err)
	}
	if err := router.Send([][]byte{[]byte("nobody"), []byte("x")}, DontWait); !errors.Is(err, syscall.EHOSTUNREACH) {
		t.Fatalf("Send to an unknown peer: %v, want EHOSTUNREACH", err)
	}
	if err := dealer.Send(nil, 0); err == nil {
		t.Fatal("an empty message was sent")
	}
	if _, err := router.Bind("nonsense://x"); err == nil || err.Error() == "" {
		t.Fatalf("Bind nonsense: %v", err)
	}

	// Receiving more than MaxFrames is tested in package broker, whose
	// peers can send such a message.
	if err := dealer.Send(make([][]byte, MaxFrames+1), 0); err == nil {
		t.Fatal("Send took more than MaxFrames frames")
	}
}

// A Poller watches plain file descriptors beside sockets.
func TestPollFd(t *testing.T) {
	router, _ := pair(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	p, err := NewPoller(PollItem{Socket: router}, PollItem{Fd: int(r.Fd())})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if n, err := p.Wait(10 * time.Millisecond); err != nil || n != 0 {
		t.Fatalf("idle Wait: %d, %v", n, err)
	}
	w.Write([]byte{1})
	if n, err := p.Wait(10 * time.Second); err != nil || n != 1 || p.Ready(0) || !p.Ready(1) {
		t.Fatalf("Wait: %d (%v %v), %v", n, p.Ready(0), p.Ready(1), err)
	}
	p.Close()
	if ok, err := router.Readable(); err != nil || ok {
		t.Fatalf("Readable: %v, %v", ok, err)
	}
	if fd, err := router.Fd(); err != nil || fd < 0 {
		t.Fatalf("Fd: %d, %v", fd, err)
	}
}

// SetMaxRecvBytes: a message over the bound comes back cut short with
// ErrTooLarge (Recv: only its head of small frames; RecvView: every frame
// kept within the bound); the next message is whole again.
func TestRecvBound(t *testing.T) {
	router, dealer := pair(t)
	router.SetMaxRecvBytes(2000)
	big := bytes.Repeat([]byte("x"), 600)
	hdr := []byte("hdr")
	for _, view := range []bool{false, true} {
		recv, want := router.Recv, 2 // identity and hdr: the next frame is over HeadFrameBytes
		if view {
			recv, want = router.RecvView, 5 // identity, hdr and three of 600: 1808 bytes
		}
		if err := dealer.Send([][]byte{hdr, big, big, big, big}, 0); err != nil {
			t.Fatal(err)
		}
		waitReadable(t, router)
		got, err := recv(DontWait)
		if !errors.Is(err, ErrTooLarge) || len(got) != want || !bytes.Equal(got[1], hdr) {
			t.Fatalf("view %v: over the bound: %d frames, %v", view, len(got), err)
		}
		if err := dealer.Send([][]byte{[]byte("small")}, 0); err != nil {
			t.Fatal(err)
		}
		waitReadable(t, router)
		if got, err = recv(DontWait); err != nil || len(got) != 2 || string(got[1]) != "small" {
			t.Fatalf("view %v: after a cut message: %d frames, %v", view, len(got), err)
		}
	}
}

// SetImmediate: a DEALER with no connection up refuses a message at once
// (EAGAIN) and is not Writable, instead of queueing it for a peer that may
// come; once its peer is there it is Writable and the message goes.
func TestImmediate(t *testing.T) {
	ctx, err := NewContext()
	if err != nil {
		t.Fatal(err)
	}
	dealer, err := ctx.NewSocket(DEALER)
	if err != nil {
		t.Fatal(err)
	}
	router, err := ctx.NewSocket(ROUTER)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		dealer.Close()
		router.Close()
		if err := ctx.Term(); err != nil {
			t.Errorf("Term: %v", err)
		}
	})
	if err := dealer.SetImmediate(true); err != nil {
		t.Fatal(err)
	}
	ep, err := router.Bind("tcp://127.0.0.1:*")
	if err != nil {
		t.Fatal(err)
	}
	router.Close() // nothing listens there now
	router, err = ctx.NewSocket(ROUTER)
	if err != nil {
		t.Fatal(err)
	}
	if err := dealer.Connect(ep); err != nil {
		t.Fatal(err)
	}
	if ok, err := dealer.Writable(); err != nil || ok {
		t.Fatalf("Writable with no peer: %v, %v", ok, err)
	}
	if err := dealer.Send([][]byte{[]byte("early")}, DontWait); !errors.Is(err, syscall.EAGAIN) {
		t.Fatalf("Send with no peer: %v, want EAGAIN", err)
	}
	// The closed ROUTER's listener is torn down by libzmq's I/O thread, after
	// Close returns: the port may be in use for a moment yet.
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := router.Bind(ep)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond) // polling a condition, not synchronising
	}
	for {
		ok, err := dealer.Writable()
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("never Writable once the peer was up")
		}
		time.Sleep(time.Millisecond) // polling a condition, not synchronising
	}
	if err := dealer.Send([][]byte{[]byte("late")}, DontWait); err != nil {
		t.Fatal(err)
	}
	msg := recvWithin(t, router)
	if len(msg) != 2 || string(msg[1]) != "late" {
		t.Fatalf("router got %q: want only the message sent once connected", msg)
	}
}

// Signals (Go's runtime sends SIGURG to preempt goroutines) may interrupt
// libzmq inside ZMQ_EVENTS; Readable and Writable ask again rather than
// report EINTR (a client's loop closed itself on one, seen in CI).
func TestEventsUnderSignals(t *testing.T) {
	_, dealer := pair(t)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				_ = syscall.Kill(os.Getpid(), syscall.SIGURG)
			}
		}
	}()
	defer func() { close(stop); <-done }()
	for range 20000 {
		if _, err := dealer.Readable(); err != nil {
			t.Fatalf("Readable: %v", err)
		}
		if _, err := dealer.Writable(); err != nil {
			t.Fatalf("Writable: %v", err)
		}
	}
}
