package brokertest

import (
	"testing"

	zmq "github.com/pebbe/zmq4"

	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
)

// Dial connects a raw socket of type typ to ep, with a linger of 0, closed
// when the test ends: a peer that speaks exact protocol frames. It is
// mdptest.Dial's socket; mdptest.Peer has the send and receive helpers.
func Dial(t testing.TB, ep string, typ zmq.Type) *zmq.Socket {
	t.Helper()
	return mdptest.Dial(t, ep, typ).Socket()
}

// FakeRouter is a scripted broker (mdptest.Scripted) that passes each
// message it gets to answer (err is the parse error, if any) and sends the
// frames answer returns back to the sender, identity first; nil sends
// nothing. It runs until the test ends, and returns its endpoint.
func FakeRouter(t testing.TB, answer func(m mdp.Message, err error) [][]byte) string {
	t.Helper()
	return mdptest.StartScripted(t, "", func(c *mdptest.Call) {
		if out := answer(c.Msg, c.Err); out != nil {
			c.Send(out...)
		}
	}).Endpoint
}
