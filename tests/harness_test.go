package tests

import (
	"context"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/workers"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"
)

// waitLong bounds every wait: generous for a loaded CI machine.
const waitLong = 20 * time.Second

// Heartbeats are short so that faults are noticed fast; liveness is high
// so that a stalled goroutine on a loaded machine is not taken for a dead
// peer.
const (
	testHeartbeat = 20 * time.Millisecond
	testLiveness  = 25
)

// startBroker runs an in-process broker on an ephemeral loopback port until
// the test ends, with the heartbeats above; tune adjusts it further.
func startBroker(t *testing.T, tune func(*broker.Config)) (*brokertest.Broker, string) {
	t.Helper()
	b := brokertest.Start(t, func(cfg *broker.Config) {
		cfg.HeartbeatInterval = testHeartbeat
		cfg.HeartbeatLiveness = testLiveness
		cfg.DrainTimeout = 200 * time.Millisecond
		if tune != nil {
			tune(cfg)
		}
	})
	return b, b.Endpoint
}

// startWorker runs an SDK worker until the test ends.
func startWorker(t *testing.T, ep, service string, h workers.HandlerFunc, opts ...workers.Option) {
	t.Helper()
	runWorker(t, []string{ep}, service, h, opts...)
}

// startObservedWorker runs an SDK worker registered with every broker in
// eps until the test ends; its logs at info and above are observed.
func startObservedWorker(t *testing.T, eps []string, service string, h workers.HandlerFunc, opts ...workers.Option) *observer.ObservedLogs {
	t.Helper()
	core, logs := observer.New(zapcore.InfoLevel)
	runWorker(t, eps, service, h, append(opts, workers.WithLogger(zap.New(core)))...)
	return logs
}

// logged counts the entries with message msg whose "broker" field is ep.
func logged(logs *observer.ObservedLogs, msg, ep string) int {
	return logs.FilterMessage(msg).FilterField(zap.String("broker", ep)).Len()
}

func runWorker(t *testing.T, eps []string, service string, h workers.HandlerFunc, opts ...workers.Option) {
	t.Helper()
	opts = append([]workers.Option{workers.WithHeartbeat(testHeartbeat), workers.WithLiveness(testLiveness),
		workers.WithLogger(zaptest.NewLogger(t))}, opts...)
	w, err := workers.New(eps, service, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, h) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(waitLong):
			t.Error("worker did not stop")
		}
	})
}

func newClient(t *testing.T, brokers []string, opts ...clients.Option) *clients.Client {
	t.Helper()
	opts = append([]clients.Option{clients.WithLogger(zaptest.NewLogger(t))}, opts...)
	c, err := clients.New(brokers, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
