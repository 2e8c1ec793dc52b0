package kv

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/internal/mdptest"
)

// installing reports whether a snapshot install is under way in a data
// directory: raft's snapshot store receives into snapshots/*.tmp, then the
// state machine restores into fsm.db.restore.
func installing(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, "fsm.db.restore")); err == nil {
		return true
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "snapshots"))
	return slices.ContainsFunc(entries, func(e os.DirEntry) bool { return strings.HasSuffix(e.Name(), ".tmp") })
}

// A replica (an mdkv process) is killed -9 while it installs a snapshot of
// some 10 MB, then restarted on the same directory: it starts (no corrupt
// file), catches up and serves the last write.
func TestKillReplicaDuringSnapshotInstall(t *testing.T) {
	pc := startProcClusterArgs(t, 3, "--snapshot-threshold", "100", "--trailing-logs", "16", "--snapshot-interval", "50ms")
	ctx := ctxFor(t, 2*time.Minute)
	value := make([]byte, 64<<10)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 160)
	for g := range 16 { // 16 writers: the Raft pipeline batches their fsyncs
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := slices.Clone(value)
			for i := g; i < 160; i += 16 {
				v[0], v[1] = byte(i), byte(i>>8)
				if _, err := pc.kv.Put(ctx, []byte(fmt.Sprintf("big/%03d", i)), v); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	last, err := pc.kv.Put(ctx, []byte("last"), []byte("v"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("10 MB written in %v", time.Since(start))
	lead := pc.leader()
	brokertest.WaitFor(t, "the leader took a snapshot", func() bool { return hasSnapshot(dataDirOf(pc, lead)) })

	// r1 is a replica added now: the leader has no log old enough for it.
	dir := filepath.Join(t.TempDir(), "r1")
	raftAddr := mdptest.UnusedAddr(t)
	args := slices.Clone(pc.args[pc.ids[0]])
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--id":
			args[i+1] = "r1"
		case "--data":
			args[i+1] = dir
		case "--raft":
			args[i+1] = raftAddr
		}
	}
	pc.args["r1"] = append(args, "--role", "replica", "--group", "b")
	pc.ids = append(pc.ids, "r1")
	pc.start("r1")
	if err := pc.kv.AddNode(ctx, "r1", raftAddr, true); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(brokertest.Timeout)
	for !installing(dir) { // a tight poll: the install lasts a fraction of a second
		if time.Now().After(deadline) {
			t.Fatal("no snapshot install seen on r1")
		}
		time.Sleep(time.Millisecond)
	}
	pc.kill9("r1")
	t.Log("r1 killed -9 during its snapshot install")

	restarted := time.Now()
	pc.start("r1")
	defer func() { t.Logf("r1 caught up %v after its restart", time.Since(restarted)) }()
	brokertest.WaitFor(t, "r1 restarted, caught up and ready", func() bool {
		st, err := pc.status("r1")
		return err == nil && st.Ready && st.Applied >= last.Index && st.Replica
	})
	g, err := pc.kv.Get(ctx, []byte("last"), MinIndex(last.Index))
	if err != nil || string(g.Value) != "v" {
		t.Fatalf("read after the restart: %+v %v", g, err)
	}
}

// hasSnapshot reports whether a data directory holds a finished snapshot.
func hasSnapshot(dir string) bool {
	entries, _ := os.ReadDir(filepath.Join(dir, "snapshots"))
	return slices.ContainsFunc(entries, func(e os.DirEntry) bool { return !strings.HasSuffix(e.Name(), ".tmp") })
}

func dataDirOf(pc *procCluster, id string) string {
	args := pc.args[id]
	for i := range args {
		if args[i] == "--data" {
			return args[i+1]
		}
	}
	return ""
}
