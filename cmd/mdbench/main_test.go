package main

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/mdp"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// startBroker runs our broker in-process on an ephemeral 127.0.0.1 port
// until the test ends, and returns its endpoint. Its drain timeout is short:
// an interrupted run leaves requests behind, and stopping need not wait.
func startBroker(t *testing.T) string { return brokertest.Start(t).Endpoint }

// fakeBroker is a ROUTER on an ephemeral 127.0.0.1 port that gives every
// client request to answer, which returns the frames to send back (nil:
// no answer). It runs until the test ends.
func fakeBroker(t *testing.T, answer func(req mdp.Message) [][]byte) string {
	t.Helper()
	return brokertest.FakeRouter(t, func(m mdp.Message, err error) [][]byte {
		if err != nil || m.Kind != mdp.ClientRequest {
			return nil
		}
		return answer(m)
	})
}

// testConfig is a short run with small numbers against endpoint.
func testConfig(endpoint string) config {
	cfg := defaultConfig()
	cfg.broker = endpoint
	cfg.clients, cfg.window, cfg.workers = 2, 4, 2
	cfg.warmup, cfg.duration = 200*time.Millisecond, 800*time.Millisecond
	cfg.json = true
	return cfg
}
