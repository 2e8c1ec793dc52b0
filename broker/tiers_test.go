package broker

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

// Raw peers in these tests do not heartbeat: the broker is patient.
func patient(c *Config) { c.HeartbeatLiveness = patientLiveness }

func readyMode(service string, tier uint8, capacity uint16, mode mdp.Mode) mdp.Message {
	m := readyExt(service, tier, capacity)
	m.Mode = mode
	return m
}

// quiet asserts that p gets no request within d (the broker has had the
// chance: the caller checked its state first).
func quiet(t *testing.T, p *peer, what string) {
	t.Helper()
	if m, ok := p.poll(50 * time.Millisecond); ok && m.Kind != mdp.WorkerHeartbeat {
		t.Fatalf("%s got %v %q", what, m.Kind, bodyString(m))
	}
}

func call(c *peer, service, body string) uuid.UUID {
	id := uuid.New()
	c.send(requestExt(id, service, time.Minute, 0, body))
	return id
}

// Strict: a request waits for the busy tier-1 worker and never goes to tier
// 2 while tier 1 has a live worker; it goes to tier 2 once tier 1 has none,
// and back to tier 1 when a tier-1 worker registers again.
func TestStrictHoldsRequestsForABusyPrimary(t *testing.T) {
	tb := startBroker(t, patient)
	primary := tb.readyWorker(t, readyMode("ledger", 1, 1, mdp.ModeStrict))
	backup := tb.readyWorker(t, readyMode("ledger", 2, 1, mdp.ModeStrict))
	c := dial(t, tb.ep, zmq.DEALER)
	call(c, "ledger", "first")
	r1 := primary.expect(mdp.WorkerRequest)
	call(c, "ledger", "second")
	waitFor(t, "second queued", func() bool { return tb.snapshot(t).Queued == 1 })
	quiet(t, backup, "tier 2 while tier 1 lives")
	primary.send(replyTo(r1, "1"))
	if m := c.expect(mdp.ClientFinal); bodyString(m) != "1" {
		t.Fatalf("client got %+v", m)
	}
	r2 := primary.expect(mdp.WorkerRequest)
	if bodyString(r2) != "second" {
		t.Fatalf("primary got %q", bodyString(r2))
	}
	// The primary leaves holding r2: it goes to tier 2, and so does new work.
	primary.send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerDisconnect})
	if m := backup.expect(mdp.WorkerRequest); bodyString(m) != "second" {
		t.Fatalf("backup got %q", bodyString(m))
	} else {
		backup.send(replyTo(m, "2"))
	}
	c.expect(mdp.ClientFinal)
	// Fail-back: a new tier-1 worker takes the next request.
	again := tb.readyWorker(t, readyMode("ledger", 1, 1, mdp.ModeStrict))
	call(c, "ledger", "third")
	if m := again.expect(mdp.WorkerRequest); bodyString(m) != "third" {
		t.Fatalf("new primary got %q", bodyString(m))
	}
	quiet(t, backup, "tier 2 after fail-back")
}

// Strict with three levels: each tier takes over only when every better one
// has no live worker; a draining worker is not live.
func TestStrictThreeLevels(t *testing.T) {
	tb := startBroker(t, patient)
	w := map[uint8]*peer{}
	for _, level := range []uint8{3, 2, 1} {
		w[level] = tb.readyWorker(t, readyMode("geo", level, 1, mdp.ModeStrict))
	}
	c := dial(t, tb.ep, zmq.DEALER)
	for _, level := range []uint8{1, 2, 3} {
		call(c, "geo", "x")
		m := w[level].expect(mdp.WorkerRequest)
		for _, worse := range []uint8{2, 3} {
			if worse > level {
				quiet(t, w[worse], "a worse tier")
			}
		}
		w[level].send(replyTo(m, "ok"))
		c.expect(mdp.ClientFinal)
		// Tier 1 drains (no longer live); then tier 2 disconnects.
		switch level {
		case 1:
			w[1].send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerDrain, Ext: true})
			waitFor(t, "drain", func() bool { return tb.snapshot(t).Services[0].Draining == 1 })
		case 2:
			w[2].send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerDisconnect})
			waitFor(t, "tier 2 gone", func() bool { return tb.snapshot(t).Services[0].Workers == 2 })
		}
	}
}

// Overflow (the default, and plain workers) is unchanged: tier 2 takes a
// request while tier 1 is busy.
func TestOverflowStillSpillsToTier2(t *testing.T) {
	tb := startBroker(t, patient)
	primary := tb.readyWorker(t, readyExt("spill", 1, 1))
	backup := tb.readyWorker(t, readyMode("spill", 2, 1, mdp.ModeOverflow))
	c := dial(t, tb.ep, zmq.DEALER)
	call(c, "spill", "a")
	primary.expect(mdp.WorkerRequest)
	call(c, "spill", "b")
	if m := backup.expect(mdp.WorkerRequest); bodyString(m) != "b" {
		t.Fatalf("backup got %q", bodyString(m))
	}
}
