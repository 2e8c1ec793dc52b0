package broker

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/internal/zsock"
	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

// Issue 9, item 3: a request the broker accepts can be delivered. One with
// more body frames than a worker REQUEST can carry gets 413 at the edge and
// no worker is dropped; one at the limit reaches a worker and is answered.
func TestRequestAtTheFrameLimit(t *testing.T) {
	tb := startBroker(t, func(cfg *Config) { cfg.HeartbeatLiveness = patientLiveness })
	var ws []*peer
	for i := 0; i < 3; i++ {
		ws = append(ws, tb.readyWorker(t, readyExt("s", 1, 1)))
	}
	c := dial(t, tb.ep, zmq.DEALER)
	body := func(n int) []string { return make([]string, n) }
	// identity · MDPC02 · 0x11 · service · meta · body: 5 + body frames.
	tooMany := uuid.New()
	c.send(requestExt(tooMany, "s", time.Minute, 0, body(zsock.MaxFrames-5)...))
	expectError(t, c, tooMany, mdp.StatusTooLarge)
	if s := tb.snapshot(t); s.Services[0].Workers != 3 || s.Counters.SendErrors != 0 {
		t.Fatalf("after a refused request: %d workers, %d send errors", s.Services[0].Workers, s.Counters.SendErrors)
	}

	fits := uuid.New()
	c.send(requestExt(fits, "s", time.Minute, 0, body(MaxBodyFrames)...))
	req := ws[0].expect(mdp.WorkerRequest)
	if len(req.Body) != MaxBodyFrames {
		t.Fatalf("worker got %d body frames, want %d", len(req.Body), MaxBodyFrames)
	}
	ws[0].send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerFinal, Ext: true, Address: req.Address, UUID: req.UUID, Body: req.Body})
	if m := c.expect(mdp.ClientFinal); m.UUID != fits || len(m.Body) != MaxBodyFrames {
		t.Fatalf("client got %d frames for %v", len(m.Body), m.UUID)
	}
	if s := tb.snapshot(t); s.Services[0].Workers != 3 || s.Counters.SendErrors != 0 {
		t.Fatalf("after a request at the limit: %d workers, %d send errors", s.Services[0].Workers, s.Counters.SendErrors)
	}
}

// Issue 9, item 2: a message over MaxMessageSize, all frames together, is
// cut short on receipt: an extension client gets 413 (a plain one is
// counted), and the next request is served.
func TestMessageOverTheTotalBound(t *testing.T) {
	tb := startBroker(t, func(cfg *Config) { cfg.MaxMessageSize, cfg.HeartbeatLiveness = 64<<10, patientLiveness })
	w := tb.readyWorker(t, ready(mdp.V02, "s"))
	c := dial(t, tb.ep, zmq.DEALER)
	frame := strings.Repeat("x", 16<<10) // each frame is under the bound, 8 of them are not
	many := make([]string, 8)
	for i := range many {
		many[i] = frame
	}
	id := uuid.New()
	c.send(requestExt(id, "s", time.Minute, 0, many...))
	expectError(t, c, id, mdp.StatusTooLarge)
	c.send(plainRequest(mdp.V02, "s", many...))
	c.send(plainRequest(mdp.V02, "s", "small"))
	if m := w.expect(mdp.WorkerRequest); bodyString(m) != "small" {
		t.Fatalf("worker got %d frames", len(m.Body))
	}
	if s := tb.snapshot(t); s.Counters.TooLarge != 2 || s.Counters.PlainDropped != 1 {
		t.Fatalf("counters %+v", s.Counters)
	}
}

// Issue 9, item 8: requests for services with no worker are bounded apart
// and per client, so made-up names neither starve real services nor one
// client the others; a request a free worker can take is never refused by
// a bound meant for queued work.
func TestUnservedRequestsAreBoundedApart(t *testing.T) {
	tb := startBroker(t, func(cfg *Config) {
		cfg.HeartbeatLiveness = patientLiveness
		cfg.UnservedPerClient = 3
		cfg.GlobalQueueBytes = 2 * queueCost(1, 1) // two small requests may wait, all services together
	})
	attacker := dial(t, tb.ep, zmq.DEALER)
	var refused int
	for i := 0; i < 5; i++ {
		id := uuid.New()
		attacker.send(requestExt(id, "made-up-"+uuid.NewString(), time.Minute, 0, "x"))
		if i >= 3 {
			expectError(t, attacker, id, mdp.StatusOverloaded)
			refused++
		}
	}
	other := dial(t, tb.ep, zmq.DEALER) // another client's unserved request still waits
	other.send(requestExt(uuid.New(), "made-up-too", time.Minute, 0, "x"))
	waitFor(t, "unserved requests queued", func() bool { return tb.snapshot(t).Queued == 4 })

	// A busy service fills the global bound; a free worker elsewhere still takes work at once.
	busy := tb.readyWorker(t, readyExt("busy", 1, 1))
	free := tb.readyWorker(t, readyExt("free", 1, 1))
	c := dial(t, tb.ep, zmq.DEALER)
	c.send(requestExt(uuid.New(), "busy", time.Minute, 0, "x"))
	busy.expect(mdp.WorkerRequest)
	for i := 0; i < 2; i++ {
		c.send(requestExt(uuid.New(), "busy", time.Minute, 0, "x"))
	}
	full := uuid.New()
	c.send(requestExt(full, "busy", time.Minute, 0, "x"))
	expectError(t, c, full, mdp.StatusOverloaded)
	id := uuid.New()
	c.send(requestExt(id, "free", time.Minute, 0, "x"))
	if m := free.expect(mdp.WorkerRequest); m.UUID != id {
		t.Fatalf("free worker got %+v", m)
	}
}

// Issue 9, item 9: the zguide's asynchronous client pipelines 100,000
// small requests; with the default bounds the broker queues every one
// (the count cap is off by default), where a plain client could not even
// be told about a refusal.
func TestDefaultsQueueTheZguideAsyncClient(t *testing.T) {
	const n = 100000
	tb := startBroker(t, func(cfg *Config) { cfg.HeartbeatInterval = time.Second })
	w := tb.readyWorker(t, ready(mdp.V01, "echo"))
	c := dial(t, tb.ep, zmq.DEALER)
	c.s.SetSndhwm(0)
	for i := 0; i < n; i++ {
		c.send(plainRequest(mdp.V01, "echo", "Hello world"))
	}
	w.expect(mdp.WorkerRequest)
	waitFor(t, "every request queued or in flight", func() bool {
		s := tb.snapshot(t)
		return s.Queued+s.InFlight == n || s.Counters.PlainDropped > 0
	})
	if s := tb.snapshot(t); s.Counters.PlainDropped != 0 {
		t.Fatalf("%d of %d pipelined requests dropped", s.Counters.PlainDropped, n)
	}
}

// Issue 9, item 13: a worker's declared heartbeat is clamped to
// WorkerHeartbeatMin: one that declares 1ms is heartbeated at most every
// 10ms (the default), not a thousand times a second.
func TestDeclaredHeartbeatIsClamped(t *testing.T) {
	tb := startBroker(t, func(cfg *Config) { cfg.HeartbeatLiveness = 1000 })
	w := tb.readyWorker(t, mdp.Message{Version: mdp.V02, Kind: mdp.WorkerReady, Ext: true, Service: "hb",
		Tier: 1, Capacity: 1, Heartbeat: time.Millisecond})
	start, heartbeats := time.Now(), 0
	for time.Since(start) < 300*time.Millisecond {
		if m, ok := w.poll(10 * time.Millisecond); ok && m.Kind == mdp.WorkerHeartbeat {
			heartbeats++
		}
	}
	// The broker may send fewer on a loaded machine, never more than one
	// per minimum interval (plus the first).
	if most := int(time.Since(start)/(10*time.Millisecond)) + 2; heartbeats > most || heartbeats == 0 {
		t.Fatalf("%d heartbeats in %v, want 1 to %d", heartbeats, time.Since(start), most)
	}
}

// Issue 9, item 13: an unknown command or a malformed header from a
// registered worker gets DISCONNECT (7/MDP), and the worker is forgotten.
func TestRegisteredWorkerSendingGarbageIsDisconnected(t *testing.T) {
	tb := startBroker(t, func(cfg *Config) { cfg.HeartbeatLiveness = patientLiveness })
	for i, garbage := range [][][]byte{
		{[]byte(mdp.HeaderWorker02), {0x09}}, // unknown command
		{[]byte("MDPW03"), {0x05}},           // unknown header
		{{}, []byte(mdp.HeaderWorker01)},     // no command
	} {
		w := tb.readyWorker(t, ready(mdp.V02, "g"))
		w.raw(garbage...)
		w.expect(mdp.WorkerDisconnect)
		waitFor(t, "worker forgotten", func() bool {
			s := tb.snapshot(t)
			return s.Counters.Violations == uint64(i+1) && s.Services[0].Workers == 0
		})
	}
}

// A PARTIAL over MaxMessageSize fails its request with 413, but the worker
// goes on streaming: it keeps the request and its slot until its FINAL,
// which is dropped as stale. It is not sent more than its capacity in the
// meantime, nor disconnected for finishing what it was given.
func TestOversizePartialKeepsTheWorkersSlot(t *testing.T) {
	tb := startBroker(t, func(cfg *Config) { cfg.MaxMessageSize, cfg.HeartbeatLiveness = 64<<10, patientLiveness })
	w := tb.readyWorker(t, readyExt("s", 1, 1))
	c := dial(t, tb.ep, zmq.DEALER)
	first := uuid.New()
	c.send(requestExt(first, "s", time.Minute, 0, "a"))
	req := w.expect(mdp.WorkerRequest)

	big := strings.Repeat("x", 80<<10)
	w.send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerPartial, Ext: true, Address: req.Address, UUID: req.UUID, Body: frames(big)})
	expectError(t, c, first, mdp.StatusTooLarge)

	second := uuid.New()
	c.send(requestExt(second, "s", time.Minute, 0, "b"))
	waitFor(t, "the second request queued behind the streaming worker", func() bool {
		s := tb.snapshot(t)
		return len(s.Services) == 1 && s.Services[0].Queued == 1 && s.Services[0].InFlight == 1
	})

	w.send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerPartial, Ext: true, Address: req.Address, UUID: req.UUID, Body: frames("more")})
	w.send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerFinal, Ext: true, Address: req.Address, UUID: req.UUID, Body: frames("done")})
	if next := w.expect(mdp.WorkerRequest); next.UUID != second {
		t.Fatalf("worker got %v, want the second request %v", next.UUID, second)
	}
	s := tb.snapshot(t)
	if s.Services[0].Workers != 1 || s.Counters.ForeignReplies != 0 || s.Counters.StaleReplies != 2 {
		t.Fatalf("workers %d, foreign replies %d, stale replies %d; want 1, 0, 2",
			s.Services[0].Workers, s.Counters.ForeignReplies, s.Counters.StaleReplies)
	}
}
