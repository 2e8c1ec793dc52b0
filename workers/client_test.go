package workers

import (
	"testing"

	zmq "github.com/pebbe/zmq4"

	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
)

// testClient is a plain MDP client of one version on a raw DEALER
// (mdptest.Peer), used only from the test's goroutine.
type testClient struct {
	*mdptest.Peer
	version mdp.Version
}

func newTestClient(t *testing.T, endpoint string, v mdp.Version) *testClient {
	t.Helper()
	return &testClient{Peer: mdptest.Dial(t, endpoint, zmq.DEALER), version: v}
}

func (c *testClient) request(service string, body ...string) {
	m := mdp.Message{Version: c.version, Kind: mdp.ClientRequest, Service: service}
	for _, b := range body {
		m.Body = append(m.Body, []byte(b))
	}
	c.Send(m)
}

// recv waits for the next reply, failing the test after mdptest.Timeout.
func (c *testClient) recv() mdp.Message { return c.Recv() }
