package titanic

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/mdp"
)

// recordingSender keeps what the dispatcher sends.
type recordingSender struct{ sent []mdp.Message }

func (r *recordingSender) send(service string, id uuid.UUID, timeout time.Duration, body [][]byte) {
	r.sent = append(r.sent, mdp.Message{Service: service, UUID: id, Timeout: timeout, Body: body})
}

// The dispatcher's decisions without sockets: probe first, then at most
// MaxInFlight, retries after 5xx, stale timers compacted away.
func TestDispatcherDecisions(t *testing.T) {
	store := openTestStore(t, t.TempDir(), StoreOptions{})
	cfg := Config{Broker: "x", Dir: "x", MaxInFlight: 2, Logger: zap.NewNop()}.withDefaults()
	out := &recordingSender{}
	var finished []Result
	d := newDispatcher(&cfg, store, out, &counters{}, func(_ uuid.UUID, r Result) { finished = append(finished, r) })
	now := time.Now()
	var ids []uuid.UUID
	for i := range 5 {
		e := testEntry("svc", string(rune('a'+i)))
		must(t, store.Put(e))
		d.add(e, now)
		ids = append(ids, e.UUID)
	}
	d.pump(now)
	if len(out.sent) != 1 || out.sent[0].Service != mdp.MMIService || string(out.sent[0].Body[0]) != "svc" {
		t.Fatalf("first sent %+v, want one mmi.service probe", out.sent)
	}
	d.onReply(&mdp.Message{Kind: mdp.ClientFinal, UUID: out.sent[0].UUID, Body: [][]byte{[]byte("200")}}, now)
	d.pump(now)
	if len(out.sent) != 3 || out.sent[1].UUID != ids[0] || out.sent[2].UUID != ids[1] {
		t.Fatalf("sent %d messages, want the probe and the first two requests in order", len(out.sent))
	}
	// A 503 frees the slot and schedules a retry; the slot goes to the next.
	d.onReply(&mdp.Message{Kind: mdp.ClientError, UUID: ids[0], Status: mdp.StatusOverloaded}, now)
	d.pump(now)
	if len(out.sent) != 4 || out.sent[3].UUID != ids[2] {
		t.Fatalf("after a 503: %d sent, want the third request", len(out.sent))
	}
	// Answers store results and free slots.
	d.onReply(&mdp.Message{Kind: mdp.ClientFinal, UUID: ids[1], Body: [][]byte{[]byte("ok")}}, now)
	if len(finished) != 1 || finished[0].State != StateDone {
		t.Fatalf("finished %+v", finished)
	}
	// Many re-schedulings leave stale timers; fire compacts them.
	j := d.jobs[ids[4]]
	for range 5000 {
		d.timers.schedule(j, j.deadline)
	}
	d.fire(now)
	if n := d.timers.Len(); n > 4*len(d.jobs)+1024 {
		t.Fatalf("%d timers for %d jobs after compaction", n, len(d.jobs))
	}
	// The backoff of the 503'd request ends: it is queued and sent again.
	d.fire(now.Add(time.Second))
	d.pump(now.Add(time.Second))
	if last := out.sent[len(out.sent)-1]; last.UUID != ids[0] && last.UUID != ids[3] {
		t.Fatalf("last sent %v", last.UUID)
	}
	// Past the deadline everything left expires.
	d.fire(now.Add(48 * time.Hour))
	if len(d.jobs) != 0 {
		t.Fatalf("%d jobs left after their deadline", len(d.jobs))
	}
	expired := 0
	for _, r := range finished {
		if r.State == StateFailed && r.Text == "expired" {
			expired++
		}
	}
	if expired != 4 {
		t.Fatalf("%d expired, want 4", expired)
	}
}

// Services are forgotten once they have no job and no probe out: names
// seen once (made up, or one-off) do not pile up in the dispatcher.
func TestDispatcherForgetsFinishedServices(t *testing.T) {
	store := openTestStore(t, t.TempDir(), StoreOptions{})
	cfg := Config{Broker: "x", Dir: "x", Logger: zap.NewNop()}.withDefaults()
	out := &recordingSender{}
	d := newDispatcher(&cfg, store, out, &counters{}, func(uuid.UUID, Result) {})
	now := time.Now()
	for i := range 100 {
		e := testEntry(fmt.Sprintf("one-off.%d", i), "x")
		must(t, store.Put(e))
		d.add(e, now)
	}
	d.pump(now)
	for _, m := range out.sent { // every probe answered: no worker
		d.onReply(&mdp.Message{Kind: mdp.ClientFinal, UUID: m.UUID, Body: [][]byte{[]byte("404")}}, now)
	}
	if len(d.services) != 100 {
		t.Fatalf("%d services while their jobs wait, want 100", len(d.services))
	}
	d.fire(now.Add(48 * time.Hour)) // every job expires
	if len(d.jobs) != 0 || len(d.services) != 0 || len(d.ready) != 0 {
		t.Fatalf("after every job ended: %d jobs, %d services, %d ready; want none", len(d.jobs), len(d.services), len(d.ready))
	}
	e := testEntry("one-off.7", "again") // a service seen before starts afresh
	must(t, store.Put(e))
	d.add(e, now.Add(48*time.Hour))
	d.pump(now.Add(48 * time.Hour))
	if last := out.sent[len(out.sent)-1]; last.Service != mdp.MMIService || string(last.Body[0]) != "one-off.7" {
		t.Fatalf("last sent %+v, want a new probe for one-off.7", last)
	}
}
