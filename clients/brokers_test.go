package clients

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokertest"
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

// realBroker runs broker.Broker with millisecond timings.
type realBroker struct{ tb *brokertest.Broker }

func startRealBroker(t testing.TB, endpoint string, tweaks ...func(*broker.Config)) *realBroker {
	t.Helper()
	if endpoint == "" {
		endpoint = "tcp://127.0.0.1:*"
	}
	return &realBroker{brokertest.Start(t, append([]func(*broker.Config){func(cfg *broker.Config) {
		cfg.Endpoints = []string{endpoint}
		cfg.HeartbeatInterval = 50 * time.Millisecond
		cfg.MaxAttempts = 10
		cfg.DrainTimeout = 50 * time.Millisecond
		cfg.Logger = zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	}}, tweaks...)...)}
}

func (r *realBroker) Endpoint() string { return r.tb.Endpoint }

func (r *realBroker) Stop() { r.tb.Stop() }

func (r *realBroker) Requests() int64 { return int64(r.counters().Requests) }

func (r *realBroker) Work() int64 {
	c := r.counters()
	return int64(c.Requests - c.MMI)
}

// counters are the broker's counters now (zero once it has stopped).
func (r *realBroker) counters() broker.Counters {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	snap, err := r.tb.Snapshot(ctx)
	if err != nil {
		return broker.Counters{}
	}
	return snap.Counters
}
