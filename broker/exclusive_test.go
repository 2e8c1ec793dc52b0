package broker

import (
	"testing"

	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

// Exclusive: only the active worker gets requests, up to its capacity;
// the standbys get nothing even while it is full. When it leaves holding
// requests, they go to the next standby (best tier, then longest
// registered), which stays active when the old one comes back.
func TestExclusiveOnlyTheActiveWorkerHoldsRequests(t *testing.T) {
	tb := startBroker(t, patient)
	first := tb.readyWorker(t, readyMode("db", 2, 2, mdp.ModeExclusive))
	older := tb.readyWorker(t, readyMode("db", 1, 1, mdp.ModeExclusive))
	younger := tb.readyWorker(t, readyMode("db", 1, 1, mdp.ModeExclusive))
	c := dial(t, tb.ep, zmq.DEALER)
	for _, b := range []string{"a", "b", "c"} {
		call(c, "db", b)
	}
	// The first worker became active when it registered, whatever its tier.
	ra, rb := first.expect(mdp.WorkerRequest), first.expect(mdp.WorkerRequest)
	waitFor(t, "third queued", func() bool { return tb.snapshot(t).Queued == 1 })
	quiet(t, older, "a standby")
	quiet(t, younger, "a standby")
	first.send(replyTo(ra, "A"))
	c.expect(mdp.ClientFinal)
	rc := first.expect(mdp.WorkerRequest)
	// It leaves holding b and c: the older tier-1 standby takes both, one at
	// a time (its capacity), and becomes active.
	first.send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerDisconnect})
	got := map[string]bool{}
	for range 2 {
		m := older.expect(mdp.WorkerRequest)
		got[bodyString(m)] = true
		older.send(replyTo(m, "ok"))
		c.expect(mdp.ClientFinal)
	}
	if !got[bodyString(rb)] || !got[bodyString(rc)] {
		t.Fatalf("new active worker got %v, want b and c", got)
	}
	quiet(t, younger, "the younger standby")
	// The old worker returns: it is a standby now, no fail-back.
	back := tb.readyWorker(t, readyMode("db", 1, 1, mdp.ModeExclusive))
	call(c, "db", "d")
	if m := older.expect(mdp.WorkerRequest); bodyString(m) != "d" {
		t.Fatalf("active worker got %q", bodyString(m))
	}
	quiet(t, back, "the returned worker")
}

// A worker declaring another mode than the service has is refused with
// DISCONNECT and counted; one declaring nothing joins in the service's mode.
func TestExclusiveConflictingDeclarationIsRefused(t *testing.T) {
	tb := startBroker(t, patient)
	tb.readyWorker(t, readyMode("one", 1, 1, mdp.ModeExclusive))
	w := dial(t, tb.ep, zmq.DEALER)
	w.send(readyMode("one", 1, 1, mdp.ModeStrict))
	w.expect(mdp.WorkerDisconnect)
	if n := tb.snapshot(t).Counters.ModeConflicts; n != 1 {
		t.Fatalf("ModeConflicts = %d, want 1", n)
	}
	plain := tb.readyWorker(t, ready(mdp.V02, "one"))
	c := dial(t, tb.ep, zmq.DEALER)
	call(c, "one", "x")
	waitFor(t, "dispatched", func() bool { return tb.snapshot(t).InFlight == 1 })
	quiet(t, plain, "a plain standby")
}

// A mode pinned in the configuration wins: a worker declaring another one
// is refused even as the service's first worker; the others serve in the
// pinned mode. A pinned max tier refuses worse tiers.
func TestStrictPinnedByConfigWinsOverWorkers(t *testing.T) {
	tb := startBroker(t, func(c *Config) {
		patient(c)
		c.Services = map[string]ServicePolicy{"pinned": {Mode: mdp.ModeStrict, MaxTier: 2}}
	})
	w := dial(t, tb.ep, zmq.DEALER)
	w.send(readyMode("pinned", 1, 1, mdp.ModeExclusive))
	w.expect(mdp.WorkerDisconnect)
	far := dial(t, tb.ep, zmq.DEALER)
	far.send(readyExt("pinned", 3, 1))
	far.expect(mdp.WorkerDisconnect)
	if n := tb.snapshot(t).Counters.ModeConflicts; n != 2 {
		t.Fatalf("ModeConflicts = %d, want 2", n)
	}
	primary := tb.readyWorker(t, readyExt("pinned", 1, 1))
	backup := tb.readyWorker(t, readyMode("pinned", 2, 1, mdp.ModeStrict))
	c := dial(t, tb.ep, zmq.DEALER)
	call(c, "pinned", "a")
	primary.expect(mdp.WorkerRequest)
	call(c, "pinned", "b")
	waitFor(t, "b queued", func() bool { return tb.snapshot(t).Queued == 1 })
	quiet(t, backup, "tier 2 of a pinned strict service")
}
