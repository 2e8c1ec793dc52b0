package broker

import (
	"encoding/json"
	"reflect"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

// ask sends one extension request of work milliseconds and waits for its
// answer (the socket belongs to the caller's goroutine).
func askSpan(t *testing.T, c *peer, service string, work int) span {
	t.Helper()
	c.send(requestExt(uuid.New(), service, time.Minute, 0, strconv.Itoa(work)))
	return parseSpan(t, c.expect(mdp.ClientFinal))
}

// Strict over real worker processes: requests wait for a busy tier-1
// process and never run on tier 2 while it lives; after kill -9 of it, new
// work moves to tier 2 (within the expiry: the first failed send, or three
// missed heartbeats), and back to tier 1 when a tier-1 process registers.
func TestStrictKillPrimaryProcessFailsOverAndBack(t *testing.T) {
	tb := startBroker(t, nil)
	primary := startChildWorker(t, tb.ep, "ledger", 1, mdp.ModeStrict, "primary", 1)
	startChildWorker(t, tb.ep, "ledger", 2, mdp.ModeStrict, "backup", 1)
	tb.waitWorkers(t, "ledger", 2)

	// Four requests at once on a primary of capacity 1: all wait for it.
	var wg sync.WaitGroup
	spans := make([]span, 4)
	for i := range spans {
		c := dial(t, tb.ep, zmq.DEALER)
		wg.Add(1)
		go func() {
			defer wg.Done()
			spans[i] = askSpan(t, c, "ledger", 30)
		}()
	}
	wg.Wait()
	for _, s := range spans {
		if s.worker != "primary" {
			t.Fatalf("a request ran on %s while tier 1 lived", s.worker)
		}
	}

	primary.kill()
	killed := time.Now()
	c := dial(t, tb.ep, zmq.DEALER)
	if s := askSpan(t, c, "ledger", 0); s.worker != "backup" {
		t.Fatalf("after the kill, served by %s", s.worker)
	}
	t.Logf("first request after kill -9 answered by tier 2 after %v (expiry %v)", time.Since(killed), 3*childHeartbeat)

	startChildWorker(t, tb.ep, "ledger", 1, mdp.ModeStrict, "returned", 1)
	tb.waitWorkers(t, "ledger", 2)
	for range 3 {
		if s := askSpan(t, c, "ledger", 0); s.worker != "returned" {
			t.Fatalf("after fail-back, served by %s", s.worker)
		}
	}
}

// Exclusive over real worker processes: 32 concurrent clients, three
// workers of capacity 4. No two workers ever run requests at the same
// time; kill -9 of the active one mid-request loses nothing (its requests
// run on the next standby); when the killed one returns it stays a
// standby and the new active one keeps the service.
func TestExclusiveKillActiveUnder32Clients(t *testing.T) {
	tb := startBroker(t, nil)
	procs := map[string]*childWorker{}
	for i, name := range []string{"a", "b", "c"} {
		procs[name] = startChildWorker(t, tb.ep, "db", 1, mdp.ModeExclusive, name, 4)
		tb.waitWorkers(t, "db", i+1) // registration order decides the line
	}
	// What the SDK declared reaches mmi.workers.
	_, b := mmiAsk(t, dial(t, tb.ep, zmq.DEALER), mdp.MMIWorkers, "db")
	var listed []MMIWorker
	if err := json.Unmarshal(b, &listed); err != nil || len(listed) != 3 {
		t.Fatalf("mmi.workers %s", b)
	}
	states := map[string]string{}
	for _, w := range listed {
		if w.Version != "test" || w.Mode != "exclusive" || w.Capacity != 4 || w.HeartbeatMs != childHeartbeat.Milliseconds() {
			t.Fatalf("worker %+v", w)
		}
		states[w.Name] = w.State
	}
	if !reflect.DeepEqual(states, map[string]string{"a": "active", "b": "standby", "c": "standby"}) {
		t.Fatalf("states %v", states)
	}
	const clients, perClient = 32, 12
	var mu sync.Mutex
	var spans []span
	first := make(chan string, 1)
	run := func(rounds int) {
		var wg sync.WaitGroup
		for range clients {
			c := dial(t, tb.ep, zmq.DEALER)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range rounds {
					s := askSpan(t, c, "db", 5)
					mu.Lock()
					spans = append(spans, s)
					mu.Unlock()
					select {
					case first <- s.worker:
					default:
					}
				}
			}()
		}
		wg.Wait()
	}
	done := make(chan struct{})
	go func() { defer close(done); run(perClient) }()
	active := <-first
	waitFor(t, "the active worker mid-run", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(spans) >= clients*perClient/3
	})
	procs[active].kill()
	<-done
	if len(spans) != clients*perClient {
		t.Fatalf("%d answers, want %d", len(spans), clients*perClient)
	}
	checkNoOverlap(t, spans)
	if n := tb.snapshot(t).Counters.Requeued; n == 0 {
		t.Fatalf("no request was handed back: the kill did not hit the active worker mid-request")
	}
	after := map[string]int{}
	for _, s := range spans[clients*perClient/3:] {
		after[s.worker]++
	}
	var next string
	for w := range after {
		if w != active {
			next = w
		}
	}
	if next == "" || len(after) > 2 {
		t.Fatalf("workers after the kill of %s: %v", active, after)
	}

	procs[active] = startChildWorker(t, tb.ep, "db", 1, mdp.ModeExclusive, active+"-back", 4)
	tb.waitWorkers(t, "db", 3)
	spans = nil
	run(2)
	for _, s := range spans {
		if s.worker != next {
			t.Fatalf("after %s returned, a request ran on %s, want %s (no fail-back)", active, s.worker, next)
		}
	}
	t.Logf("active %s killed; %s took over: %v", active, next, after)
}

// checkNoOverlap fails if two workers ran requests at the same time.
func checkNoOverlap(t *testing.T, spans []span) {
	t.Helper()
	sorted := append([]span(nil), spans...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].start < sorted[j].start })
	// The latest end so far of each worker: a span of worker w must start
	// after every other worker's spans that started before it have ended.
	lastEnd := map[string]int64{}
	for _, s := range sorted {
		for w, end := range lastEnd {
			if w != s.worker && end > s.start {
				t.Fatalf("%s started at %d while %s ran until %d", s.worker, s.start, w, end)
			}
		}
		lastEnd[s.worker] = max(lastEnd[s.worker], s.end)
	}
}
