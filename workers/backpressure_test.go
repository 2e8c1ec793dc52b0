package workers

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
)

// A broker that stops reading for a while (shorter than the expiry) loses
// nothing: the handler's PARTIALs outrun libzmq's queue to the broker, the
// worker holds them back in order and the handler waits, and every PARTIAL
// and the FINAL arrive, on the same registration. (Before the send queue,
// about 500 of these PARTIALs and the FINAL were dropped.)
func TestSlowBrokerLosesNoReplies(t *testing.T) {
	const n = 3000
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	frame := make([]byte, 4<<10)
	startWorker(t, b.Endpoint, "stream", HandlerFunc(func(_ context.Context, req *Request) ([][]byte, error) {
		for i := range n {
			if err := req.Partial([]byte(strconv.Itoa(i)), frame); err != nil {
				return nil, err
			}
		}
		return [][]byte{[]byte("done")}, nil
	}), WithLiveness(250)) // 5 s: the stall below must not look like death
	ready := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	id := uuid.New()
	b.Send(ready.From, xrequest("c", id, 0, "go"))
	b.Pause(700 * time.Millisecond) // the broker busy elsewhere: the behaviour under test
	b.Wait(1, "XFINAL", finalFor(id))
	next := 0
	for _, m := range b.Messages(func(m mdptest.Logged) bool { return m.Msg.UUID == id }) {
		switch m.Msg.Kind {
		case mdp.WorkerPartial:
			if got := string(m.Msg.Body[0]); got != strconv.Itoa(next) {
				t.Fatalf("partial %s where %d was due", got, next)
			}
			next++
		case mdp.WorkerFinal:
			if next != n || !bodyIs(m.Msg.Body, "done") {
				t.Fatalf("FINAL %q after %d partials, want done after %d", m.Msg.Body, next, n)
			}
		}
	}
	if r := len(b.Messages(mdptest.IsKind(mdp.WorkerReady))); r != 1 {
		t.Fatalf("%d registrations, want 1", r)
	}
}
