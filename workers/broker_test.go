package workers

import (
	"bytes"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/internal/mdptest"
)

// startFakeBroker runs a mdptest.MiniBroker on endpoint that heartbeats
// its workers every hb: it logs every message it receives, lets a test
// send any message to a worker, and with route set acts as a minimal
// RFC-exact broker for plain MDP/0.1 and MDP/0.2 (the extension too).
func startFakeBroker(t *testing.T, endpoint string, hb time.Duration, route bool) *mdptest.MiniBroker {
	t.Helper()
	return mdptest.StartMini(t, mdptest.MiniConfig{Endpoint: endpoint, Heartbeat: hb, Route: route})
}

func bodyIs(body [][]byte, want ...string) bool {
	if len(body) != len(want) {
		return false
	}
	for i := range body {
		if !bytes.Equal(body[i], []byte(want[i])) {
			return false
		}
	}
	return true
}
