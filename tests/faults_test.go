package tests

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
	zmq "github.com/pebbe/zmq4"
)

// Workers that crash while holding writes (they take requests and vanish
// without a word) lose nothing: the broker notices them, hands their
// requests to a healthy worker, and each logical write is applied exactly
// once and answered once.
func TestCrashingWorkersLoseNoWrites(t *testing.T) {
	b, ep := startBroker(t, func(cfg *broker.Config) {
		cfg.HeartbeatLiveness = 5 // crashes are noticed after 100 ms
		cfg.MaxAttempts = 10
	})
	var mu sync.Mutex
	applied := map[uuid.UUID]int{}
	startWorker(t, ep, "counter.write", func(ctx context.Context, req *workers.Request) ([][]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		applied[req.UUID]++
		return [][]byte{[]byte(fmt.Sprint(len(applied)))}, nil
	}, workers.WithConcurrency(4), workers.WithLiveness(5))

	// Crashing workers: raw extension workers that take up to 8 requests
	// each and then disappear without DISCONNECT.
	crashes := 3
	crashed := make(chan struct{})
	go func() {
		defer close(crashed)
		for i := 0; i < crashes; i++ {
			crashOnce(t, ep)
		}
	}()

	c := newClient(t, []string{ep}, clients.WithTimeout(5*time.Second), clients.WithRetries(3))
	const writes = 200
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	calls := make([]*clients.Call, writes)
	for i := range calls {
		calls[i] = c.Go(ctx, "counter.write", []byte("inc"))
	}
	for i, call := range calls {
		if _, err := call.Wait(); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	<-crashed
	mu.Lock()
	defer mu.Unlock()
	if len(applied) != writes {
		t.Fatalf("%d distinct writes applied, want %d", len(applied), writes)
	}
	for id, n := range applied {
		if n != 1 {
			t.Fatalf("write %v applied %d times", id, n)
		}
	}
	// Each crashed worker held at least one request when it vanished. The
	// broker notices either way a crash shows: heartbeat silence (expiry) or
	// a send that fails once libzmq has seen the connection drop.
	brokertest.WaitFor(t, "the crashed workers to be gone", func() bool {
		s := b.State()
		return len(s.Services) == 1 && s.Services[0].Workers == 1
	})
	s := b.State()
	if s.Counters.Requeued < uint64(crashes) {
		t.Fatalf("broker requeued %d requests, want at least one from each of %d crashed workers", s.Counters.Requeued, crashes)
	}
	t.Logf("requeued %d requests from %d crashed workers (%d expired)", s.Counters.Requeued, crashes, s.Counters.WorkersExpired)
}

// crashOnce registers a worker of capacity 8 beside the healthy one, waits
// until it holds a request (often several), and closes its socket without
// a word, as a process killed mid-request would.
func crashOnce(t *testing.T, ep string) {
	s, err := zmq.NewSocket(zmq.DEALER)
	if err != nil {
		t.Error(err)
		return
	}
	s.SetLinger(0)
	defer s.Close()
	if err := s.Connect(ep); err != nil {
		t.Error(err)
		return
	}
	ready := mdp.Message{Version: mdp.V02, Kind: mdp.WorkerReady, Ext: true, Service: "counter.write", Tier: 1, Capacity: 8}
	frames, _ := ready.Frames()
	if _, err := s.SendMessage(frames); err != nil {
		t.Error(err)
		return
	}
	poller := zmq.NewPoller()
	poller.Add(s, zmq.POLLIN)
	deadline := time.Now().Add(waitLong)
	for time.Now().Before(deadline) {
		polled, err := poller.Poll(time.Until(deadline))
		if err != nil || len(polled) == 0 {
			return
		}
		frames, err := s.RecvMessageBytes(0)
		if err != nil {
			return
		}
		if m, err := mdp.ParseDealer(frames); err == nil && m.Kind == mdp.WorkerRequest {
			return // crash holding it
		}
	}
}
