package zsock

import (
	"bytes"
	"errors"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestCurveKeys(t *testing.T) {
	pub, sec, err := NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	if pub == sec || pub == (Key{}) {
		t.Fatalf("key pair %v %v", pub, sec)
	}
	if z := pub.String(); len(z) != 40 {
		t.Fatalf("Z85 %q", z)
	}
	back, err := ParseKey(sec.String())
	if err != nil || back != sec {
		t.Fatalf("ParseKey(String) = %v, %v", back, err)
	}
	derived, err := PublicKey(sec)
	if err != nil || derived != pub {
		t.Fatalf("PublicKey = %v, %v; want %v", derived, err, pub)
	}
	for _, bad := range []string{"", "short", string(bytes.Repeat([]byte{'"'}, 40)), pub.String() + "x"} {
		if _, err := ParseKey(bad); !errors.Is(err, ErrBadKey) {
			t.Errorf("ParseKey(%q) = %v", bad, err)
		}
	}
}

// zapHandler answers libzmq's ZAP requests on its own socket in its own
// goroutine: a client key in allowed gets 200 with the key's Z85 as user
// id, any other 400. It returns a stop function and the count of keys
// refused.
func zapHandler(t *testing.T, ctx *Context, allowed Key) (stop func(), refused *atomic.Int64) {
	t.Helper()
	zap, err := ctx.NewSocket(ROUTER)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zap.Bind(ZAPAddress); err != nil {
		t.Fatal(err)
	}
	quit := make(chan struct{})
	done := make(chan struct{})
	refused = new(atomic.Int64)
	go func() {
		defer close(done)
		defer zap.Close()
		p, err := NewPoller(PollItem{Socket: zap})
		if err != nil {
			t.Error(err)
			return
		}
		defer p.Close()
		for {
			select {
			case <-quit:
				return
			default:
			}
			if n, err := p.Wait(10 * time.Millisecond); err != nil && !errors.Is(err, syscall.EINTR) {
				t.Error(err)
				return
			} else if n == 0 {
				continue
			}
			req, err := zap.Recv(DontWait)
			if err != nil {
				continue
			}
			// routing id, "", version, request id, domain, address,
			// identity, mechanism, public key
			status, user := "400", ""
			if len(req) == 9 && string(req[7]) == "CURVE" && bytes.Equal(req[8], allowed[:]) {
				status, user = "200", allowed.String()
			} else {
				refused.Add(1)
			}
			reply := [][]byte{req[0], {}, []byte("1.0"), req[3], []byte(status), []byte("test"), []byte(user), {}}
			if err := zap.Send(reply, 0); err != nil {
				t.Error(err)
			}
		}
	}()
	return func() { close(quit); <-done }, refused
}

// A CURVE client with an allowed key reaches the server, and the server
// sees its key as the message's User-Id and its address as Peer-Address;
// a client with another key is refused at the handshake.
func TestCurveUserIDAndPeerAddress(t *testing.T) {
	ctx, err := NewContext()
	if err != nil {
		t.Fatal(err)
	}
	spub, ssec, _ := NewKeyPair()
	good, goodSec, _ := NewKeyPair()
	bad, badSec, _ := NewKeyPair()
	stop, refusals := zapHandler(t, ctx, good)
	router, _ := ctx.NewSocket(ROUTER)
	router.SetRecvProperties(true)
	if err := router.SetCurveServer(ssec); err != nil {
		t.Fatal(err)
	}
	ep, err := router.Bind("tcp://127.0.0.1:*")
	if err != nil {
		t.Fatal(err)
	}
	client := func(pub, sec Key) *Socket {
		d, _ := ctx.NewSocket(DEALER)
		if err := d.SetCurveClient(spub, pub, sec); err != nil {
			t.Fatal(err)
		}
		if err := d.Connect(ep); err != nil {
			t.Fatal(err)
		}
		return d
	}
	refused := client(bad, badSec)
	if err := refused.Send([][]byte{[]byte("from the refused")}, DontWait); err != nil && !errors.Is(err, syscall.EAGAIN) {
		t.Fatal(err)
	}
	allowed := client(good, goodSec)
	if err := allowed.Send([][]byte{[]byte("hello")}, 0); err != nil {
		t.Fatal(err)
	}
	msg := recvWithin(t, router)
	if len(msg) != 2 || string(msg[1]) != "hello" {
		t.Fatalf("got %q", msg)
	}
	if got := string(router.UserID()); got != good.String() {
		t.Errorf("User-Id %q, want %q", got, good.String())
	}
	if got := string(router.PeerAddress()); got != "127.0.0.1" {
		t.Errorf("Peer-Address %q", got)
	}
	// Once the refused client's handshake has been refused, nothing of it
	// has arrived.
	for deadline := time.Now().Add(10 * time.Second); refusals.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the ZAP handler was never asked about the refused key")
		}
	}
	if again, err := router.Recv(DontWait); !errors.Is(err, syscall.EAGAIN) {
		t.Fatalf("a second message %q, %v", again, err)
	}
	refused.Close()
	allowed.Close()
	router.Close()
	stop()
	if err := ctx.Term(); err != nil {
		t.Fatal(err)
	}
}

// Without SetRecvProperties, or on a plain connection, there are none.
func TestPropertiesPlain(t *testing.T) {
	router, dealer := pair(t)
	if err := dealer.Send([][]byte{[]byte("x")}, 0); err != nil {
		t.Fatal(err)
	}
	recvWithin(t, router)
	if len(router.UserID()) != 0 || len(router.PeerAddress()) != 0 {
		t.Fatalf("properties without asking: %q %q", router.UserID(), router.PeerAddress())
	}
	router.SetRecvProperties(true)
	if err := dealer.Send([][]byte{[]byte("y")}, 0); err != nil {
		t.Fatal(err)
	}
	recvWithin(t, router)
	if len(router.UserID()) != 0 || string(router.PeerAddress()) != "127.0.0.1" {
		t.Fatalf("plain: User-Id %q Peer-Address %q", router.UserID(), router.PeerAddress())
	}
}
