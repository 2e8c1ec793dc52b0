package zready_test

import (
	"errors"
	"slices"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/majordomo-go/majordomo/internal/wakeup"
	"github.com/majordomo-go/majordomo/internal/zready"
	"github.com/majordomo-go/majordomo/internal/zsock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// pair is a ROUTER (the peer) and a DEALER (watched) connected over
// loopback TCP.
func pair(t *testing.T) (router, dealer *zsock.Socket) {
	t.Helper()
	ctx, err := zsock.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	router, err = ctx.NewSocket(zsock.ROUTER)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := router.Bind("tcp://127.0.0.1:*")
	if err != nil {
		t.Fatal(err)
	}
	dealer, err = ctx.NewSocket(zsock.DEALER)
	if err != nil {
		t.Fatal(err)
	}
	if err := dealer.Connect(ep); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		router.Close()
		dealer.Close()
		_ = ctx.Term()
	})
	return router, dealer
}

func newSet(t *testing.T) *zready.Set {
	t.Helper()
	s, err := zready.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// introduce makes the router know the dealer and returns its identity.
func introduce(t *testing.T, router, dealer *zsock.Socket) []byte {
	t.Helper()
	if err := dealer.Send([][]byte{[]byte("hello")}, 0); err != nil {
		t.Fatal(err)
	}
	m, err := router.Recv(0)
	if err != nil {
		t.Fatal(err)
	}
	return m[0]
}

func wait(t *testing.T, s *zready.Set, timeout time.Duration) []int {
	t.Helper()
	ids, err := s.Wait(timeout)
	if err != nil {
		t.Fatal(err)
	}
	return slices.Clone(ids)
}

func TestSocketAndSignal(t *testing.T) {
	router, dealer := pair(t)
	sig, err := wakeup.New()
	if err != nil {
		t.Fatal(err)
	}
	defer sig.Close()
	s := newSet(t)
	if err := s.AddSocket(1, dealer); err != nil {
		t.Fatal(err)
	}
	if err := s.AddFd(2, sig.Fd()); err != nil {
		t.Fatal(err)
	}
	if err := s.AddFd(2, sig.Fd()); err != zready.ErrDuplicate {
		t.Fatalf("an id added twice: %v", err)
	}
	id := introduce(t, router, dealer)

	start := time.Now()
	if ids := wait(t, s, 30*time.Millisecond); len(ids) != 0 {
		t.Fatalf("nothing sent, yet %v ready", ids)
	}
	if d := time.Since(start); d < 25*time.Millisecond {
		t.Fatalf("a wait of 30ms returned after %v", d)
	}

	go func() { sig.Wake() }()
	if ids := wait(t, s, 20*time.Second); !slices.Equal(ids, []int{2}) {
		t.Fatalf("after Wake: %v ready, want [2]", ids)
	}
	sig.Clear()

	if err := router.Send([][]byte{id, []byte("one")}, 0); err != nil {
		t.Fatal(err)
	}
	if ids := wait(t, s, 20*time.Second); !slices.Equal(ids, []int{1}) {
		t.Fatalf("after a message: %v ready, want [1]", ids)
	}
	if _, err := dealer.Recv(zsock.DontWait); err != nil {
		t.Fatal(err)
	}
	if ids := wait(t, s, 0); len(ids) != 0 {
		t.Fatalf("drained, yet %v ready", ids)
	}
}

// A message whose signal was consumed by other work on the socket (two
// arrived, one was received; a send processed the socket's commands) is
// still reported: Wait asks the socket before it blocks.
func TestNoMessageMissed(t *testing.T) {
	router, dealer := pair(t)
	s := newSet(t)
	if err := s.AddSocket(1, dealer); err != nil {
		t.Fatal(err)
	}
	id := introduce(t, router, dealer)
	for _, body := range []string{"a", "b"} {
		if err := router.Send([][]byte{id, []byte(body)}, 0); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if ids := wait(t, s, 20*time.Second); !slices.Equal(ids, []int{1}) {
			t.Fatalf("%v ready, want [1]", ids)
		}
		if _, err := dealer.Recv(zsock.DontWait); err != nil {
			t.Fatal(err)
		}
		// A send after the receive processes the socket's commands.
		if err := dealer.Send([][]byte{[]byte("ack")}, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := router.Send([][]byte{id, []byte("c")}, 0); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		// Make the dealer process its commands without receiving: the
		// arrival's edge is consumed here, and Wait must still see it.
		if _, err := dealer.Readable(); err != nil {
			t.Fatal(err)
		}
		if ids := wait(t, s, 20*time.Second); slices.Equal(ids, []int{1}) {
			return
		}
	}
	t.Fatal("the third message was never reported")
}

func TestRemove(t *testing.T) {
	router, dealer := pair(t)
	sig, err := wakeup.New()
	if err != nil {
		t.Fatal(err)
	}
	defer sig.Close()
	s := newSet(t)
	_ = s.AddFd(7, sig.Fd())
	if err := s.AddSocket(1, dealer); err != nil {
		t.Fatal(err)
	}
	id := introduce(t, router, dealer)
	s.Remove(7)
	sig.Wake()
	if err := router.Send([][]byte{id, []byte("x")}, 0); err != nil {
		t.Fatal(err)
	}
	if ids := wait(t, s, 20*time.Second); !slices.Equal(ids, []int{1}) {
		t.Fatalf("%v ready, want only the socket [1]", ids)
	}
}

// roomy is a socket that says it has room to send whenever room is set.
type roomy struct {
	*zsock.Socket
	room bool
}

func (r *roomy) Writable() (bool, error) { return r.room, nil }

// A socket watched for room is reported while its Writer says so, and no
// longer once the watch is off.
func TestWatchWritable(t *testing.T) {
	_, dealer := pair(t)
	s := newSet(t)
	r := &roomy{Socket: dealer, room: true}
	if err := s.AddSocket(3, r); err != nil {
		t.Fatal(err)
	}
	if ids := wait(t, s, 0); len(ids) != 0 {
		t.Fatalf("not watched for room, yet %v ready", ids)
	}
	s.WatchWritable(3, true)
	if ids := wait(t, s, 0); !slices.Equal(ids, []int{3}) {
		t.Fatalf("watched with room: %v ready, want [3]", ids)
	}
	r.room = false
	if ids := wait(t, s, 0); len(ids) != 0 {
		t.Fatalf("watched without room: %v ready", ids)
	}
	r.room = true
	s.WatchWritable(3, false)
	if ids := wait(t, s, 0); len(ids) != 0 {
		t.Fatalf("watch off: %v ready", ids)
	}
}

// A socket declared Drained after a receive found nothing is not asked
// before Wait blocks, and its next message still ends the wait, whether it
// arrived before Wait or during it.
func TestDrainedSocketStillWakes(t *testing.T) {
	router, dealer := pair(t)
	s := newSet(t)
	if err := s.AddSocket(1, dealer); err != nil {
		t.Fatal(err)
	}
	id := introduce(t, router, dealer)
	send := func(body string) {
		if err := router.Send([][]byte{id, []byte(body)}, 0); err != nil {
			t.Error(err)
		}
	}
	for i := range 200 {
		if _, err := dealer.Recv(zsock.DontWait); !errors.Is(err, syscall.EAGAIN) {
			t.Fatalf("round %d: the socket was not empty: %v", i, err)
		}
		s.Drained(1)
		done := make(chan struct{})
		if i%2 == 0 {
			send("before")
			close(done)
		} else {
			go func() { defer close(done); send("during") }()
		}
		if ids := wait(t, s, 20*time.Second); !slices.Equal(ids, []int{1}) {
			t.Fatalf("round %d: %v ready, want [1]", i, ids)
		}
		<-done
		if _, err := dealer.Recv(0); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
	}
}
