package mdptest

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/internal/zsock"
	"github.com/majordomo-go/majordomo/mdp"
)

// CurvePair is a CURVE key pair.
type CurvePair struct{ Public, Secret zsock.Key }

// NewCurvePair makes a key pair or fails the test.
func NewCurvePair(t testing.TB) CurvePair {
	t.Helper()
	pub, sec, err := zsock.NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return CurvePair{Public: pub, Secret: sec}
}

// CurveBroker is a small extension broker over CURVE for the SDKs' tests
// (clients, workers, and the commands that use them), on a real socket over
// 127.0.0.1, independent of broker/: a ROUTER that is a CURVE server with a
// key pair of its own, and a ZAP handler in the same context that lets in
// only the client keys of an allow-list (user id: the key's Z85, as our
// broker's) and counts the others.
//
// It relays extension requests to the one registered extension worker (the
// last XREADY), heartbeats that worker, and relays its FINAL or XERROR
// back; with no worker it answers a request itself with a FINAL of "echo"
// and the request's body. It records the user id (CURVE key) of every
// message it gets, so a test can check that nothing came from a key the ZAP
// handler refused.
//
// It owns its sockets in one goroutine, stops when the test ends
// (t.Cleanup) and waits for that goroutine, so goleak passes. It is built on
// internal/zsock, where MiniBroker is on pebbe/zmq4, whose CURVE server
// needs its process-wide ZAP handler.
type CurveBroker struct {
	Endpoint string    // tcp://127.0.0.1:PORT
	Keys     CurvePair // the broker's

	allowed map[zsock.Key]bool
	refused atomic.Int64

	mu      sync.Mutex
	senders map[string]int // user id → messages received
	worker  []byte         // routing id of the registered worker
	served  int            // replies relayed from the worker

	stop chan struct{}
	done chan struct{}
}

// StartCurve runs a CURVE broker with a new key pair that lets in the keys
// allowed (none: every key, as libzmq does without a ZAP handler).
func StartCurve(t testing.TB, allowed ...zsock.Key) *CurveBroker {
	t.Helper()
	return StartCurveKeyed(t, NewCurvePair(t), allowed...)
}

// StartCurveKeyed is StartCurve with the broker's key pair given: several brokers
// that share one, as clients and workers expect of the brokers they are
// given together.
func StartCurveKeyed(t testing.TB, keys CurvePair, allowed ...zsock.Key) *CurveBroker {
	t.Helper()
	b := &CurveBroker{Keys: keys, allowed: map[zsock.Key]bool{}, senders: map[string]int{},
		stop: make(chan struct{}), done: make(chan struct{})}
	for _, k := range allowed {
		b.allowed[k] = true
	}
	zctx, err := zsock.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	zap, router, err := b.open(zctx, len(allowed) > 0)
	if err != nil {
		zctx.Term()
		t.Fatal(err)
	}
	go b.run(t, zctx, zap, router)
	t.Cleanup(func() {
		close(b.stop)
		<-b.done
	})
	return b
}

func (b *CurveBroker) open(zctx *zsock.Context, withZAP bool) (zap, router *zsock.Socket, err error) {
	if withZAP {
		if zap, err = zctx.NewSocket(zsock.ROUTER); err != nil {
			return nil, nil, err
		}
		if _, err = zap.Bind(zsock.ZAPAddress); err != nil {
			zap.Close()
			return nil, nil, err
		}
	}
	closeAll := func() {
		if zap != nil {
			zap.Close()
		}
		if router != nil {
			router.Close()
		}
	}
	if router, err = zctx.NewSocket(zsock.ROUTER); err != nil {
		closeAll()
		return nil, nil, err
	}
	router.SetRecvProperties(true)
	if err = router.SetCurveServer(b.Keys.Secret); err != nil {
		closeAll()
		return nil, nil, err
	}
	if b.Endpoint, err = router.Bind("tcp://127.0.0.1:*"); err != nil {
		closeAll()
		return nil, nil, err
	}
	return zap, router, nil
}

// Refused counts the handshakes the ZAP handler refused.
func (b *CurveBroker) Refused() int64 { return b.refused.Load() }

// From counts the messages received from the CURVE key k.
func (b *CurveBroker) From(k zsock.Key) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.senders[k.String()]
}

// Senders are the user ids (Z85 keys) of every message received, with
// their counts.
func (b *CurveBroker) Senders() map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]int, len(b.senders))
	for k, n := range b.senders {
		out[k] = n
	}
	return out
}

// HasWorker reports whether a worker has registered.
func (b *CurveBroker) HasWorker() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.worker != nil
}

// Served counts the worker replies relayed to clients.
func (b *CurveBroker) Served() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.served
}

func (b *CurveBroker) run(t testing.TB, zctx *zsock.Context, zap, router *zsock.Socket) {
	defer close(b.done)
	defer func() {
		router.Close()
		if zap != nil {
			zap.Close()
		}
		if err := zctx.Term(); err != nil {
			t.Errorf("curve broker: context: %v", err)
		}
	}()
	items := []zsock.PollItem{{Socket: router}}
	if zap != nil {
		items = append(items, zsock.PollItem{Socket: zap})
	}
	p, err := zsock.NewPoller(items...)
	if err != nil {
		t.Errorf("curve broker: %v", err)
		return
	}
	defer p.Close()
	for {
		select {
		case <-b.stop:
			return
		default:
		}
		if _, err := p.Wait(5 * time.Millisecond); err != nil && !errors.Is(err, syscall.EINTR) {
			t.Errorf("curve broker: poll: %v", err)
			return
		}
		if zap != nil {
			b.answerZAP(t, zap)
		}
		b.route(t, router)
	}
}

// answerZAP answers every pending ZAP request (RFC 27): routing id, "",
// version, request id, domain, address, identity, mechanism, credentials.
func (b *CurveBroker) answerZAP(t testing.TB, zap *zsock.Socket) {
	for {
		req, err := zap.Recv(zsock.DontWait)
		if err != nil {
			return
		}
		status, user := "400", ""
		if len(req) == 9 && string(req[7]) == "CURVE" && len(req[8]) == zsock.KeySize {
			var k zsock.Key
			copy(k[:], req[8])
			if b.allowed[k] {
				status, user = "200", k.String()
			}
		}
		if status != "200" {
			b.refused.Add(1)
		}
		if len(req) < 4 {
			continue
		}
		reply := [][]byte{req[0], {}, []byte("1.0"), req[3], []byte(status), []byte("mdptest"), []byte(user), {}}
		if err := zap.Send(reply, 0); err != nil {
			t.Errorf("curve broker: ZAP reply: %v", err)
		}
	}
}

// route handles every message waiting on the ROUTER.
func (b *CurveBroker) route(t testing.TB, router *zsock.Socket) {
	for {
		frames, err := router.Recv(zsock.DontWait)
		if err != nil {
			return
		}
		b.mu.Lock()
		b.senders[string(router.UserID())]++
		b.mu.Unlock()
		from, m, err := mdp.ParseRouter(frames)
		if err != nil {
			continue
		}
		for _, out := range b.answer(from, &m) {
			if err := router.Send(out, zsock.DontWait); err != nil && !errors.Is(err, syscall.EAGAIN) {
				t.Errorf("curve broker: send: %v", err)
			}
		}
	}
}

// answer is what the broker sends for m from the peer from: messages
// with their routing id first.
func (b *CurveBroker) answer(from []byte, m *mdp.Message) [][][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	to := func(id []byte, out mdp.Message) [][][]byte {
		frames, err := out.AppendFrames([][]byte{id})
		if err != nil {
			return nil
		}
		return [][][]byte{frames}
	}
	switch m.Kind {
	case mdp.ClientRequest:
		if b.worker == nil || !m.Ext {
			body := append([][]byte{[]byte("echo")}, m.Body...)
			return to(from, mdp.Message{Version: m.Version, Kind: mdp.ClientFinal, Ext: m.Ext, Service: m.Service, UUID: m.UUID, Body: body})
		}
		return to(b.worker, mdp.Message{Version: mdp.V02, Kind: mdp.WorkerRequest, Ext: true,
			Address: bytes.Clone(from), UUID: m.UUID, Timeout: m.Timeout, Body: m.Body})
	case mdp.WorkerReady:
		b.worker = bytes.Clone(from)
		return to(from, mdp.Message{Version: m.Version, Kind: mdp.WorkerHeartbeat})
	case mdp.WorkerHeartbeat:
		return to(from, mdp.Message{Version: m.Version, Kind: mdp.WorkerHeartbeat})
	case mdp.WorkerFinal, mdp.WorkerError:
		b.served++
		kind := mdp.ClientFinal
		if m.Kind == mdp.WorkerError {
			kind = mdp.ClientError
		}
		return to(m.Address, mdp.Message{Version: mdp.V02, Kind: kind, Ext: true, Service: "mdptest.curve",
			UUID: m.UUID, Status: m.Status, Text: m.Text, Body: m.Body})
	case mdp.WorkerDisconnect:
		if bytes.Equal(b.worker, from) {
			b.worker = nil
		}
	}
	return nil
}
