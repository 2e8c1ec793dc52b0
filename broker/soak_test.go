package broker

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

// TestExclusiveSoak kills the active worker of an exclusive service again
// and again (BROKER_SOAK_CYCLES times, default 100) under 32 clients, and
// checks that no request is lost and no two workers ever overlap. It runs
// only with BROKER_SOAK=1 (make soak-tiers): minutes, not seconds.
func TestExclusiveSoak(t *testing.T) {
	if os.Getenv("BROKER_SOAK") != "1" {
		t.Skip("soak run: set BROKER_SOAK=1")
	}
	cycles := 100
	if n, err := strconv.Atoi(os.Getenv("BROKER_SOAK_CYCLES")); err == nil && n > 0 {
		cycles = n
	}
	tb := startBroker(t, nil)
	procs := map[string]*childWorker{}
	for i, name := range []string{"w0", "w1", "w2"} {
		procs[name] = startChildWorker(t, tb.ep, "db", 1, mdp.ModeExclusive, name, 4)
		tb.waitWorkers(t, "db", i+1)
	}
	var (
		mu      sync.Mutex
		spans   []span
		stop    atomic.Bool
		wg      sync.WaitGroup
		current atomic.Value
	)
	for range 32 {
		c := dial(t, tb.ep, zmq.DEALER)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				s := askSpan(t, c, "db", 2)
				current.Store(s.worker)
				mu.Lock()
				spans = append(spans, s)
				mu.Unlock()
			}
		}()
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(spans) }
	for cycle := range cycles {
		before := count()
		var active string
		waitFor(t, "progress on the new active worker", func() bool {
			active, _ = current.Load().(string)
			return count() > before+64 && procs[active] != nil
		})
		procs[active].kill()
		name := fmt.Sprintf("%s.%d", active, cycle)
		delete(procs, active)
		procs[name] = startChildWorker(t, tb.ep, "db", 1, mdp.ModeExclusive, name, 4)
		tb.waitWorkers(t, "db", 3)
	}
	stop.Store(true)
	wg.Wait()
	checkNoOverlap(t, spans)
	snap := tb.snapshot(t)
	var failed uint64
	for _, s := range snap.Services {
		failed += s.Outcomes.Failed + s.Outcomes.Expired + s.Outcomes.WorkerErrors
	}
	if failed != 0 {
		t.Fatalf("%d requests did not get an answer", failed)
	}
	t.Logf("%d cycles, %d requests answered, %d handed back after a kill, no overlap", cycles, len(spans),
		snap.Counters.Requeued)
}
