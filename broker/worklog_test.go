package broker

import (
	"fmt"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/mdp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// A worker that registers and leaves in a loop is logged workerLogBurst
// times at once, then once per workerLogRefill, and the next line logged
// says how many were suppressed; another service has a bucket of its own.
func TestWorkerLogRateLimit(t *testing.T) {
	obsCore, logs := observer.New(zap.InfoLevel)
	cfg := DefaultConfig().withDefaults()
	cfg.Logger = zap.New(obsCore)
	now := time.Unix(1000, 0)
	c := newCore(cfg, now)
	flap := func(service string, i int) {
		id := []byte(fmt.Sprintf("%s-%d", service, i))
		ready := readyExt(service, 2, 3)
		f, _ := ready.AppendFrames([][]byte{id})
		c.handle(now, f)
		bye := mdp.Message{Version: mdp.V02, Kind: mdp.WorkerDisconnect}
		f, _ = bye.AppendFrames([][]byte{id})
		c.handle(now, f)
	}
	for i := range 100 {
		flap("flappy", i)
	}
	lines := logs.FilterMessageSnippet("worker ").FilterField(zap.String("service", "flappy")).All()
	if len(lines) != workerLogBurst {
		t.Fatalf("%d lines for 200 arrivals and departures at once, want %d", len(lines), workerLogBurst)
	}
	first := lines[0]
	if first.Message != "worker registered" || first.Level != zap.InfoLevel {
		t.Fatalf("first line %q at %v", first.Message, first.Level)
	}
	fields := first.ContextMap()
	if fmt.Sprintf("%v %v %v", fields["tier"], fields["capacity"], fields["mode"]) != "2 3 overflow" || fields["worker"] != fmt.Sprintf("%x", "flappy-0") {
		t.Fatalf("registration fields %v", fields)
	}
	if lines[1].Message != "worker left" || lines[1].ContextMap()["why"] == "" {
		t.Fatalf("second line %q %v", lines[1].Message, lines[1].ContextMap())
	}

	flap("other", 0)
	if n := logs.FilterField(zap.String("service", "other")).Len(); n != 2 {
		t.Fatalf("another service logged %d lines, want 2 (its own bucket)", n)
	}

	now = now.Add(workerLogRefill)
	logs.TakeAll()
	flap("flappy", 100)
	lines = logs.FilterField(zap.String("service", "flappy")).All()
	if len(lines) != 1 {
		t.Fatalf("%d lines after one refill period, want 1", len(lines))
	}
	if got, want := fmt.Sprint(lines[0].ContextMap()["suppressed"]), fmt.Sprint(200-workerLogBurst); got != want {
		t.Fatalf("suppressed = %s, want %s", got, want)
	}
}

// A worker refused again and again for a conflicting mode shares its
// service's bucket: a few warnings, not one per attempt.
func TestWorkerRefusalLogRateLimit(t *testing.T) {
	obsCore, logs := observer.New(zap.InfoLevel)
	cfg := DefaultConfig().withDefaults()
	cfg.Logger = zap.New(obsCore)
	now := time.Unix(1000, 0)
	c := newCore(cfg, now)
	send := func(id string, m mdp.Message) {
		f, _ := m.AppendFrames([][]byte{[]byte(id)})
		c.handle(now, f)
	}
	send("holder", readyMode("db", 1, 1, mdp.ModeExclusive))
	for i := range 50 {
		send(fmt.Sprintf("pest-%d", i), readyMode("db", 1, 1, mdp.ModeStrict))
	}
	if c.counters.ModeConflicts != 50 {
		t.Fatalf("%d conflicts counted, want 50", c.counters.ModeConflicts)
	}
	warns := logs.FilterLevelExact(zap.WarnLevel).All()
	if len(warns) != workerLogBurst-1 {
		t.Fatalf("%d refusal lines for 50 refusals, want %d", len(warns), workerLogBurst-1)
	}
	if warns[0].ContextMap()["why"] == "" || warns[0].ContextMap()["service"] != "db" {
		t.Fatalf("refusal fields %v", warns[0].ContextMap())
	}
}
