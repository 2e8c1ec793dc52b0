package clients

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/mdp"
)

// testBroker is a broker the tests can start (on a given endpoint, or ""
// for an ephemeral port), stop and ask how many client requests it got.
type testBroker interface {
	Endpoint() string
	Stop()
	Requests() int64
	// Work counts the client requests received for services, MMI excluded.
	Work() int64
}

type startBrokerFunc func(t testing.TB, endpoint string) testBroker

// brokerKinds: the tests that any broker must pass run against the real
// broker and against the fake one (which injects what the real one can't).
var brokerKinds = []struct {
	name  string
	start startBrokerFunc
}{
	{"real", func(t testing.TB, ep string) testBroker { return startRealBroker(t, ep) }},
	{"fake", func(t testing.TB, ep string) testBroker { return startFakeBroker(t, ep, false) }},
}

func forEachBroker(t *testing.T, test func(t *testing.T, start startBrokerFunc)) {
	for _, k := range brokerKinds {
		t.Run(k.name, func(t *testing.T) { test(t, k.start) })
	}
}

func (b *fakeBroker) Endpoint() string { return b.endpoint }
func (b *fakeBroker) Requests() int64  { return b.requests.Load() }
func (b *fakeBroker) Work() int64 {
	return int64(len(b.arrivalsFor(func(a arrival) bool { return !mdp.IsMMI(a.service) })))
}

// realBroker runs broker.Broker with millisecond timings.
type realBroker struct {
	b        *broker.Broker
	endpoint string
	cancel   context.CancelFunc
	done     chan struct{}
}

func startRealBroker(t testing.TB, endpoint string, tweaks ...func(*broker.Config)) *realBroker {
	t.Helper()
	if endpoint == "" {
		endpoint = "tcp://127.0.0.1:*"
	}
	cfg := broker.DefaultConfig()
	cfg.Endpoints = []string{endpoint}
	cfg.HeartbeatInterval = 50 * time.Millisecond
	cfg.MaxAttempts = 10
	cfg.DrainTimeout = 50 * time.Millisecond
	cfg.Logger = zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	for _, tweak := range tweaks {
		tweak(&cfg)
	}
	var b *broker.Broker
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		if b, err = broker.New(cfg); err == nil {
			break
		}
		if time.Now().After(deadline) { // a restarted broker may wait for its port
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rb := &realBroker{b: b, endpoint: b.Endpoints()[0], cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(rb.done)
		if err := b.Run(ctx); err != nil {
			t.Errorf("broker: %v", err)
		}
	}()
	t.Cleanup(rb.Stop)
	return rb
}

func (r *realBroker) Endpoint() string { return r.endpoint }

func (r *realBroker) Stop() {
	r.cancel()
	<-r.done
}

func (r *realBroker) Requests() int64 { return int64(r.counters().Requests) }

func (r *realBroker) Work() int64 {
	c := r.counters()
	return int64(c.Requests - c.MMI)
}

// counters are the broker's counters now (zero once it has stopped).
func (r *realBroker) counters() broker.Counters {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	snap, err := r.b.Snapshot(ctx)
	if err != nil {
		return broker.Counters{}
	}
	return snap.Counters
}
