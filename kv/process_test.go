package kv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/internal/mdptest"
)

// procCluster is a store of mdkv processes behind an in-process broker.
type procCluster struct {
	t      testing.TB
	bin    string
	broker *brokertest.Broker
	ids    []string
	args   map[string][]string
	procs  map[string]*exec.Cmd
	done   map[string]chan error
	client *clients.Client
	kv     *Client
}

// mdkvBinary is cmd/mdkv built once per test run (with -race when the
// tests have it), in a directory TestMain removes.
var mdkvBinary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func buildMdkv(t testing.TB) string {
	t.Helper()
	b := &mdkvBinary
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "mdkv-test-"); b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "mdkv")
		args := []string{"build", "-o", b.path}
		if raceEnabled {
			args = append(args, "-race")
		}
		if out, err := exec.Command("go", append(args, "../cmd/mdkv")...).CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

func removeMdkvBinary() {
	if mdkvBinary.dir != "" {
		os.RemoveAll(mdkvBinary.dir)
	}
}

func startProcCluster(t testing.TB, size int) *procCluster {
	t.Helper()
	return startProcClusterArgs(t, size)
}

// startProcClusterArgs starts size voters with extra flags each.
func startProcClusterArgs(t testing.TB, size int, extra ...string) *procCluster {
	t.Helper()
	b := brokertest.Start(t, func(c *broker.Config) { c.HeartbeatInterval = 50 * time.Millisecond })
	pc := &procCluster{t: t, bin: buildMdkv(t), broker: b, args: map[string][]string{},
		procs: map[string]*exec.Cmd{}, done: map[string]chan error{}}
	var peers []string
	addrs := map[string]string{}
	for i := range size {
		id := fmt.Sprintf("n%d", i+1)
		pc.ids = append(pc.ids, id)
		addrs[id] = mdptest.UnusedAddr(t)
		peers = append(peers, id+"="+addrs[id])
	}
	for _, id := range pc.ids {
		pc.args[id] = []string{"--store", "kv", "--id", id, "--data", filepath.Join(t.TempDir(), id),
			"--raft", addrs[id], "--broker", b.Endpoint, "--peers", strings.Join(peers, ","),
			"--heartbeat-timeout", "250ms", "--election-timeout", "250ms", "--leader-lease-timeout", "200ms",
			"--commit-timeout", "5ms", "--worker-heartbeat", "50ms", "--drain-timeout", "2s", "--log-level", "info"}
		pc.args[id] = append(pc.args[id], extra...)
		pc.start(id)
	}
	cl, err := clients.New([]string{b.Endpoint}, clients.WithTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	pc.client, pc.kv = cl, NewClient(cl, "kv")
	pc.waitWorkers(size)
	return pc
}

func (pc *procCluster) start(id string) {
	pc.t.Helper()
	cmd := exec.Command(pc.bin, pc.args[id]...)
	logf, err := os.OpenFile(filepath.Join(procLogDir(pc.t), id+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		pc.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		pc.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); logf.Close() }()
	pc.procs[id], pc.done[id] = cmd, done
	pc.t.Cleanup(func() {
		if pc.procs[id] == cmd {
			cmd.Process.Kill()
			<-done
		}
	})
}

// kill9 kills a node's process at once: no snapshot, no goodbye.
func (pc *procCluster) kill9(id string) {
	pc.t.Helper()
	pc.procs[id].Process.Signal(syscall.SIGKILL)
	<-pc.done[id]
	pc.procs[id] = nil
}

// term stops a node with SIGTERM and checks that it exits 0.
func (pc *procCluster) term(id string) {
	pc.t.Helper()
	pc.procs[id].Process.Signal(syscall.SIGTERM)
	select {
	case err := <-pc.done[id]:
		if err != nil {
			pc.t.Fatalf("%s after SIGTERM: %v, want exit 0", id, err)
		}
	case <-time.After(brokertest.Timeout):
		pc.t.Fatalf("%s did not stop after SIGTERM", id)
	}
	pc.procs[id] = nil
}

func (pc *procCluster) waitWorkers(reads int) {
	pc.t.Helper()
	brokertest.WaitFor(pc.t, "one write worker and every read worker", func() bool {
		return pc.broker.Workers("kv.write") == 1 && pc.broker.Workers("kv.read") == reads
	})
}

// status asks one node for its status.
func (pc *procCluster) status(id string) (*NodeStatus, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	return pc.kv.NodeStatus(ctx, id)
}

// leader is the ID of the node that says it leads.
func (pc *procCluster) leader() string {
	pc.t.Helper()
	var lead string
	brokertest.WaitFor(pc.t, "a leader", func() bool {
		for _, id := range pc.ids {
			if pc.procs[id] == nil {
				continue
			}
			if st, err := pc.status(id); err == nil && st.Role == "leader" {
				lead = id
				return true
			}
		}
		return false
	})
	return lead
}

// load writes with 16 goroutines until stop is closed: puts of distinct
// keys and increments of a few counters. It records what was acknowledged.
type load struct {
	mu       sync.Mutex
	puts     map[string]string
	incrs    map[string]int
	failures []error
}

func runLoad(ctx context.Context, kc *Client, workers int, stop <-chan struct{}) *load {
	l := &load{puts: map[string]string{}, incrs: map[string]int{}}
	var wg sync.WaitGroup
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
				if i%2 == 0 {
					k, v := fmt.Sprintf("w/%02d/%06d", g, i), fmt.Sprintf("v%d", i)
					_, err := kc.Put(wctx, []byte(k), []byte(v))
					l.record(err, func() { l.puts[k] = v })
				} else {
					k := fmt.Sprintf("c/%d", g%4)
					_, _, err := kc.Incr(wctx, []byte(k), 1)
					l.record(err, func() { l.incrs[k]++ })
				}
				cancel()
			}
		}()
	}
	go func() { <-stop; wg.Wait(); close(l.doneCh()) }()
	return l
}

var loadDone sync.Map

func (l *load) doneCh() chan struct{} {
	ch, _ := loadDone.LoadOrStore(l, make(chan struct{}))
	return ch.(chan struct{})
}

func (l *load) wait() { <-l.doneCh() }

func (l *load) record(err error, ok func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.failures = append(l.failures, err)
		return
	}
	ok()
}

func (l *load) acked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.puts)
	for _, c := range l.incrs {
		n += c
	}
	return n
}

// verify reads everything back linearizably: every acknowledged put is
// there, and each counter equals its acknowledged increments.
func (l *load) verify(t *testing.T, kc *Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	found := map[string]string{}
	var after []byte
	for {
		s, err := kc.Scan(ctx, []byte("w/"), after, MaxScanLimit, Linearizable())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range s.Records {
			found[string(r.Key)] = string(r.Value)
		}
		if len(s.Next) == 0 {
			break
		}
		after = s.Next
	}
	for k, v := range l.puts {
		if found[k] != v {
			t.Fatalf("acknowledged put %s=%s reads back %q", k, v, found[k])
		}
	}
	for k, n := range l.incrs {
		g, err := kc.Get(ctx, []byte(k), Linearizable())
		if err != nil {
			t.Fatal(err)
		}
		if string(g.Value) != fmt.Sprint(n) {
			t.Fatalf("counter %s = %s after %d acknowledged increments (applied twice or lost)", k, g.Value, n)
		}
	}
}

// Kill -9 of the leader under a write load of 16: a new leader serves
// writes; every acknowledged write is there, none applied twice; the old
// leader restarts and catches up as a follower. Then every node restarts
// (SIGTERM, exit 0): state and de-duplication survive.
func TestKillLeaderUnderLoad(t *testing.T) {
	pc := startProcCluster(t, 3)
	ctx := ctxFor(t, 2*time.Minute)
	stop := make(chan struct{})
	l := runLoad(ctx, pc.kv, 16, stop)
	brokertest.WaitFor(t, "200 writes before the kill", func() bool { return l.acked() >= 200 })
	old := pc.leader()
	pc.kill9(old)
	killedAt, before := time.Now(), l.acked()
	brokertest.WaitFor(t, "a write acknowledged after the kill", func() bool { return l.acked() > before })
	t.Logf("first write acknowledged %v after the kill", time.Since(killedAt))
	brokertest.WaitFor(t, "200 writes after the kill", func() bool { return l.acked() >= before+200 })
	t.Logf("kill -9 of %s: %d acknowledged before, 200 more within %v", old, before, time.Since(killedAt))
	if lead := pc.leader(); lead == old {
		t.Fatalf("the killed node %s still leads", old)
	}
	pc.start(old)
	brokertest.WaitFor(t, "200 writes after the restart", func() bool { return l.acked() >= before+400 })
	close(stop)
	l.wait()
	if len(l.failures) > 0 {
		t.Fatalf("%d writes failed, first: %v", len(l.failures), l.failures[0])
	}
	l.verify(t, pc.kv)
	lead, err := pc.status(pc.leader())
	if err != nil {
		t.Fatal(err)
	}
	brokertest.WaitFor(t, "the old leader caught up as a follower", func() bool {
		st, err := pc.status(old)
		return err == nil && st.Role == "follower" && st.Applied >= lead.Commit
	})

	// A write with a request id of our own, then every node restarts.
	rid := [16]byte{1, 2, 3}
	req := &Request{Op: OpIncr, RID: rid, Key: []byte("once"), Delta: 1}
	first, err := pc.client.Write(ctx, "kv", req.Frames()...)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range pc.ids {
		pc.term(id)
	}
	for _, id := range pc.ids {
		pc.start(id)
	}
	pc.waitWorkers(3)
	l.verify(t, pc.kv)
	again, err := pc.client.Write(ctx, "kv", req.Frames()...)
	if err != nil {
		t.Fatal(err)
	}
	w1, err1 := ParseWriteResult(first)
	w2, err2 := ParseWriteResult(again)
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	if w2.Index != w1.Index || string(w2.Value) != "1" {
		t.Fatalf("retry after a full restart answered %+v, want the first reply %+v", w2, w1)
	}
}

// procLogDir holds the nodes' logs: MDKV_TEST_LOGS when set (kept for a
// post-mortem), else a temporary directory.
func procLogDir(t testing.TB) string {
	if d := os.Getenv("MDKV_TEST_LOGS"); d != "" {
		os.MkdirAll(d, 0o700)
		return d
	}
	return t.TempDir()
}
