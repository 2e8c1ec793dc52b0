package clients

import (
	"testing"

	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
)

// startPlainBroker is a scripted broker (mdptest.Scripted) for clients that
// speak plain MDP/0.1 (RFC 7) or MDP/0.2 (RFC 18) exactly: it hands each
// request to handle, which plays broker and worker at once and answers
// through c (c.ReplyPlain), and fails the test on anything else. Its
// Senders are the identities the requests came from.
func startPlainBroker(t *testing.T, handle func(c *mdptest.Call, id []byte, m *mdp.Message)) *mdptest.Scripted {
	t.Helper()
	return startScriptedBroker(t, false, handle)
}

// startScriptedBroker is startPlainBroker for extension requests too (ext):
// a broker whose every move the test scripts. A withdrawn attempt (CANCEL)
// is ignored: a scripted broker holds no queue.
func startScriptedBroker(t *testing.T, ext bool, handle func(c *mdptest.Call, id []byte, m *mdp.Message)) *mdptest.Scripted {
	t.Helper()
	return mdptest.StartScripted(t, "", func(c *mdptest.Call) {
		m := c.Msg
		if c.Err == nil && ext && m.Kind == mdp.ClientCancel {
			return
		}
		if c.Err != nil || m.Ext && !ext || m.Kind != mdp.ClientRequest {
			t.Errorf("plain broker: unexpected %v %v ext=%v: %v", m.Version, m.Kind, m.Ext, c.Err)
			return
		}
		handle(c, c.From, &m)
	})
}
