package kv

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/broker/brokertest"
)

// A node down while the others take 100,000 writes (MDKV_CATCHUP_WRITES
// to change the count) catches up through a snapshot install, then the
// log; the test logs the catch-up time, from its restart until its applied
// index reaches the leader's. Long: behind MDKV_CATCHUP=1 (make kv-catchup).
//
//	MDKV_CATCHUP=1 go test -run TestCatchUpAfterManyWrites -v ./kv/
func TestCatchUpAfterManyWrites(t *testing.T) {
	if os.Getenv("MDKV_CATCHUP") == "" {
		t.Skip("long: set MDKV_CATCHUP=1 (make kv-catchup)")
	}
	writes := 100000
	if s := os.Getenv("MDKV_CATCHUP_WRITES"); s != "" {
		writes, _ = strconv.Atoi(s)
	}
	c := startCluster(t, 3)
	for i := range c.nodes { // check for a due snapshot often; default thresholds
		c.stop(i)
		c.cfgs[i].SnapshotInterval = 200 * time.Millisecond
		c.cfgs[i].Logger = zap.NewNop()
	}
	for i := range c.nodes {
		c.start(i)
	}
	c.waitReady()
	away := (c.leader() + 1) % len(c.nodes)
	c.stop(away)
	ctx := ctxFor(t, 30*time.Minute)
	value := make([]byte, 100)
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(writes) {
					return
				}
				wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
				if _, err := c.kv.Put(wctx, []byte(fmt.Sprintf("k/%07d", i)), value); err != nil {
					failed.Add(1)
				}
				cancel()
			}
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d writes failed", failed.Load())
	}
	t.Logf("%d writes in %v (%.0f/s) while %s was down", writes, time.Since(start), float64(writes)/time.Since(start).Seconds(), c.cfgs[away].ID)
	lead := c.nodes[c.leader()]
	target := lead.Applied()
	restarted := time.Now()
	c.start(away)
	n := c.nodes[away]
	wctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	if err := n.fsm.waitApplied(wctx, target); err != nil {
		t.Fatalf("%s applied %d after 10 minutes, want %d", n.ID(), n.Applied(), target)
	}
	took := time.Since(restarted)
	snap, _ := strconv.ParseUint(n.raft.Stats()["last_snapshot_index"], 10, 64)
	if snap == 0 {
		t.Fatal("caught up without a snapshot install")
	}
	t.Logf("catch-up of %d entries: %v (snapshot at index %d)", target, took, snap)
	brokertest.WaitFor(t, "the node ready again", n.Ready)
}
