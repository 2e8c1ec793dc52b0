package clients

import (
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
)

// fakeBroker is the client tests' fake broker: a mdptest.MiniBroker that
// routes (extension clients and workers, a queue per service, dedup by
// request UUID with a reply cache, fail-fast 404, mmi.service and
// mmi.services, "xerror.NNN" answered with status NNN) and tells its
// workers DISCONNECT when stopped. It is a testBroker.
type fakeBroker struct{ mini *mdptest.MiniBroker }

// startFakeBroker binds endpoint ("" for an ephemeral port) and serves
// until stopped; the test's cleanup stops it. With dupFinal every FINAL is
// sent twice (the second is stale).
func startFakeBroker(t testing.TB, endpoint string, dupFinal bool) *fakeBroker {
	t.Helper()
	return &fakeBroker{mdptest.StartMini(t, mdptest.MiniConfig{Endpoint: endpoint, Route: true, DupFinal: dupFinal, Goodbye: true})}
}

func (b *fakeBroker) Endpoint() string { return b.mini.Endpoint }
func (b *fakeBroker) Stop()            { b.mini.Stop() }
func (b *fakeBroker) Requests() int64  { return int64(len(b.mini.ClientRequests())) }
func (b *fakeBroker) Work() int64 {
	return int64(len(b.requestsFor(func(m *mdp.Message) bool { return !mdp.IsMMI(m.Service) })))
}

// requestsFor are the client requests received that keep says to keep.
func (b *fakeBroker) requestsFor(keep func(*mdp.Message) bool) []mdptest.Logged {
	return b.mini.Messages(func(l mdptest.Logged) bool { return l.Msg.Kind == mdp.ClientRequest && keep(&l.Msg) })
}

// lastTimeout is the Timeout of the last client request received.
func (b *fakeBroker) lastTimeout() time.Duration {
	r := b.mini.ClientRequests()
	if len(r) == 0 {
		return 0
	}
	return r[len(r)-1].Msg.Timeout
}
