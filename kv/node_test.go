package kv

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
)

func TestClusterOperations(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxFor(t, 20*time.Second)
	w, err := c.kv.Put(ctx, []byte("k"), []byte("v1"))
	if err != nil || w.Index == 0 || w.Version != w.Index {
		t.Fatalf("put: %+v %v", w, err)
	}
	g, err := c.kv.Get(ctx, []byte("k"), Linearizable())
	if err != nil || string(g.Value) != "v1" || g.Version != w.Index || g.LastContact != 0 {
		t.Fatalf("linearizable get: %+v %v", g, err)
	}
	if g, err = c.kv.Get(ctx, []byte("k"), MinIndex(w.Index)); err != nil || string(g.Value) != "v1" || g.Applied < w.Index {
		t.Fatalf("get at min-index: %+v %v", g, err)
	}
	if _, err = c.kv.Get(ctx, []byte("absent"), Linearizable()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get absent: %v", err)
	}
	if _, err = c.kv.CAS(ctx, []byte("k"), IfVersion(w.Version+100), []byte("v2")); !errors.Is(err, ErrCASFailed) {
		t.Fatalf("cas on a wrong version: %v", err)
	}
	cw, err := c.kv.CAS(ctx, []byte("k"), IfValue([]byte("v1")), []byte("v2"))
	if err != nil || cw.Index <= w.Index {
		t.Fatalf("cas: %+v %v", cw, err)
	}
	if n, _, err := c.kv.Incr(ctx, []byte("n"), 5); err != nil || n != 5 {
		t.Fatalf("incr: %d %v", n, err)
	}
	if n, _, err := c.kv.Incr(ctx, []byte("n"), -7); err != nil || n != -2 {
		t.Fatalf("incr: %d %v", n, err)
	}
	if _, _, err := c.kv.Incr(ctx, []byte("k"), 1); !errors.Is(err, ErrNotInteger) {
		t.Fatalf("incr of a string: %v", err)
	}
	if _, err := c.kv.Delete(ctx, []byte("k")); err != nil {
		t.Fatalf("del: %v", err)
	}
	if _, err := c.kv.Delete(ctx, []byte("k")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("del again: %v", err)
	}
	for _, k := range []string{"s/1", "s/2", "s/3"} {
		if _, err := c.kv.Put(ctx, []byte(k), []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	s, err := c.kv.Scan(ctx, []byte("s/"), nil, 2, Linearizable())
	if err != nil || len(s.Records) != 2 || string(s.Next) != "s/2" {
		t.Fatalf("scan: %+v %v", s, err)
	}
	if s, err = c.kv.Scan(ctx, []byte("s/"), s.Next, 2, Linearizable()); err != nil || len(s.Records) != 1 || len(s.Next) != 0 {
		t.Fatalf("scan page 2: %+v %v", s, err)
	}
	_, err = c.client.Write(ctx, "kv", []byte("put"), nil, []byte(""), []byte("v"))
	if !errors.Is(err, clients.ErrInternal) && !isStatus(err, 400) {
		t.Fatalf("empty key: %v, want 400", err)
	}
	if _, err := c.client.Read(ctx, "kv", []byte("put"), nil, []byte("k"), []byte("v")); !isStatus(err, 400) {
		t.Fatalf("a write sent to kv.read: %v, want 400", err)
	}
}

func isStatus(err error, status int) bool {
	var se *clients.ServiceError
	return errors.As(err, &se) && int(se.Status) == status
}

// Reads through a follower: stale ones say how stale; min-index makes them
// wait for a write (read-your-writes) or fail with 504 at the deadline.
func TestFollowerReads(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxFor(t, 20*time.Second)
	lead := c.leader()
	follower := (lead + 1) % 3
	fsvc := "kv.node." + c.nodes[follower].ID()
	var last *WriteResult
	for i := range 20 {
		w, err := c.kv.Put(ctx, []byte("k"), []byte{byte('a' + i)})
		if err != nil {
			t.Fatal(err)
		}
		last = w
	}
	req := &Request{Op: OpGet, Key: []byte("k"), MinIndex: last.Index}
	reply, err := c.client.Request(ctx, fsvc, req.Frames()...)
	if err != nil {
		t.Fatal(err)
	}
	g, err := ParseGetResult(reply)
	if err != nil || g.Version != last.Index || g.Applied < last.Index || string(g.Value) != "t" {
		t.Fatalf("follower read at min-index: %+v %v", g, err)
	}
	if g.LastContact < 0 || g.LastContact > 10*time.Second {
		t.Fatalf("follower's last contact %v: want a recent time", g.LastContact)
	}

	short, cancel := contextWithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	req.MinIndex = last.Index + 1_000_000
	start := time.Now()
	_, err = c.client.Request(short, fsvc, req.Frames()...)
	if !errors.Is(err, clients.ErrTimeout) {
		t.Fatalf("min-index never reached: %v, want a timeout", err)
	}
	if !isStatus(err, 504) && !errors.Is(err, clients.ErrTimeout) {
		t.Fatalf("want 504: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("the wait took %v: not bounded by the deadline", d)
	}

	// The node itself answers 504 when the deadline passes while it waits.
	hctx, hcancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer hcancel()
	start = time.Now()
	_, err = c.nodes[follower].serveRead(hctx, &workers.Request{Service: fsvc, Body: req.Frames()})
	var we *workers.Error
	if !errors.As(err, &we) || we.Status != mdp.StatusExpired {
		t.Fatalf("a wait past the deadline: %v, want 504", err)
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 10*time.Second {
		t.Fatalf("504 after %v: want it at the deadline", d)
	}

	// Its status: a follower that knows the leader (polled: under load an
	// election may be under way at any moment).
	brokertest.WaitFor(t, "the follower's status", func() bool {
		st, err := c.kv.NodeStatus(ctx, c.nodes[follower].ID())
		return err == nil && st.Role == "follower" && st.Leader != "" && st.Leader != st.ID &&
			len(st.Servers) == 3 && st.Applied >= last.Index && st.Term > 0
	})
}

// The leader goes away gracefully (leadership transfer): writes carry on
// through the new leader, and a linearizable read sees every acknowledged one.
func TestLeaderHandover(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxFor(t, 30*time.Second)
	// The same request id, answered by the old leader, then by the new one.
	once := (&Request{Op: OpIncr, RID: uuid.New(), Key: []byte("n"), Delta: 1}).Frames()
	first, err := c.client.Write(ctx, "kv", once...)
	if err != nil {
		t.Fatal(err)
	}
	old := c.leader()
	c.stop(old)
	brokertest.WaitFor(t, "a new leader's write worker", func() bool { return c.broker.Workers("kv.write") == 1 })
	for range 5 {
		if _, _, err := c.kv.Incr(ctx, []byte("n"), 1); err != nil {
			t.Fatal(err)
		}
	}
	again, err := c.client.Write(ctx, "kv", once...)
	if err != nil {
		t.Fatal(err)
	}
	w1, err1 := ParseWriteResult(first)
	w2, err2 := ParseWriteResult(again)
	if err1 != nil || err2 != nil || w1.Index != w2.Index || string(w2.Value) != "1" {
		t.Fatalf("the new leader answered the retry %+v, the old one %+v (%v %v)", w2, w1, err1, err2)
	}
	g, err := c.kv.Get(ctx, []byte("n"), Linearizable())
	if err != nil || string(g.Value) != "6" {
		t.Fatalf("after handover: %+v %v", g, err)
	}
	c.start(old)
	brokertest.WaitFor(t, "the old leader caught up", func() bool { return c.nodes[old].Applied() >= g.Version })
}

func contextWithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}

// A corrupt Raft log stops the node at start, as a corrupt state machine does.
func TestStartRefusesCorruptRaftLog(t *testing.T) {
	for _, file := range []string{"raft.db", "fsm.db"} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, file), bytes.Repeat([]byte{0x3c}, 64<<10), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := testConfig(t, "a", dir, mdptest.UnusedAddr(t), "tcp://127.0.0.1:1", nil)
		n, err := Start(cfg)
		if err == nil {
			n.Close(context.Background())
			t.Fatalf("started on a corrupt %s", file)
		}
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), file) {
			t.Fatalf("%s: %v, want ErrCorrupt naming the file", file, err)
		}
	}
}

// A leader that loses leadership while it keeps running (here a transfer)
// withdraws its write worker; the new leader registers one, and writes go on.
func TestLeadershipLossStopsWrites(t *testing.T) {
	c := startCluster(t, 3)
	ctx := ctxFor(t, 20*time.Second)
	old := c.nodes[c.leader()]
	if err := old.raft.LeadershipTransfer().Error(); err != nil {
		t.Fatal(err)
	}
	brokertest.WaitFor(t, "the old leader's write worker gone, a new one there", func() bool {
		others := 0
		for _, n := range c.nodes {
			if n != old && n.writing.Load() {
				others++
			}
		}
		return !old.writing.Load() && others == 1 && c.broker.Workers("kv.write") == 1 && c.broker.Workers("kv.read") == 3
	})
	w, err := c.kv.Put(ctx, []byte("after"), []byte("transfer"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.kv.NodeStatus(ctx, old.ID())
	if err != nil || st.Role != "follower" || st.Leader == old.ID() {
		t.Fatalf("old leader's status: %+v %v", st, err)
	}
	brokertest.WaitFor(t, "the old leader applies the new leader's write", func() bool { return old.Applied() >= w.Index })
}
