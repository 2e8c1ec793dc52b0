package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/kv"
)

// kvStore starts a store of three kv nodes behind a broker, all in this
// process, and returns the broker's endpoint.
func kvStore(t *testing.T) string {
	t.Helper()
	b := brokertest.Start(t, func(c *broker.Config) { c.HeartbeatInterval = 50 * time.Millisecond })
	var peers []kv.Peer
	for i := range 3 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		peers = append(peers, kv.Peer{ID: fmt.Sprintf("n%d", i+1), Addr: l.Addr().String()})
		l.Close()
	}
	for _, p := range peers {
		cfg := kv.DefaultConfig()
		cfg.Store, cfg.ID, cfg.DataDir, cfg.RaftAddr = "kv", p.ID, filepath.Join(t.TempDir(), p.ID), p.Addr
		cfg.Brokers, cfg.Peers = []string{b.Endpoint}, peers
		cfg.HeartbeatTimeout, cfg.ElectionTimeout, cfg.LeaderLeaseTimeout = 250*time.Millisecond, 250*time.Millisecond, 200*time.Millisecond
		cfg.CommitTimeout, cfg.WorkerHeartbeat, cfg.DrainTimeout = 5*time.Millisecond, 50*time.Millisecond, time.Second
		cfg.Logger = zaptest.NewLogger(t).Named(p.ID)
		n, err := kv.Start(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			n.Close(ctx)
		})
	}
	brokertest.WaitFor(t, "the store's workers", func() bool {
		return b.Workers("kv.write") == 1 && b.Workers("kv.read") == 3
	})
	return b.Endpoint
}

func mdcliKV(t *testing.T, ep string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"--broker", ep, "--timeout", "10s", "kv"}, args...), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestKVCommands(t *testing.T) {
	ep := kvStore(t)
	code, out, errOut := mdcliKV(t, ep, "put", "greeting", "hello world")
	if code != exitOK || strings.TrimSpace(out) == "" {
		t.Fatalf("put: %d %q %q", code, out, errOut)
	}
	index := strings.TrimSpace(out)
	if code, out, _ = mdcliKV(t, ep, "get", "--min-index", index, "greeting"); code != exitOK || out != "hello world\n" {
		t.Fatalf("get --min-index: %d %q", code, out)
	}
	if code, out, _ = mdcliKV(t, ep, "get", "greeting", "--linearizable", "--json"); code != exitOK {
		t.Fatalf("get --json: %d %q", code, out)
	}
	var doc struct {
		Key     string `json:"key"`
		Value   struct{ Text string }
		Version uint64 `json:"version"`
		Applied uint64 `json:"applied"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Value.Text != "hello world" || fmt.Sprint(doc.Version) != index || doc.Applied < doc.Version {
		t.Fatalf("get --json: %q %v", out, err)
	}
	if code, _, _ = mdcliKV(t, ep, "get", "--linearizable", "absent"); code != exitKVNotFound {
		t.Fatalf("get of an absent key: exit %d, want %d", code, exitKVNotFound)
	}
	if code, out, _ = mdcliKV(t, ep, "incr", "n", "41"); code != exitOK || out != "41\n" {
		t.Fatalf("incr 41: %d %q", code, out)
	}
	if code, out, _ = mdcliKV(t, ep, "incr", "n"); code != exitOK || out != "42\n" {
		t.Fatalf("incr: %d %q", code, out)
	}
	if code, _, _ = mdcliKV(t, ep, "incr", "greeting"); code != exitServiceError {
		t.Fatalf("incr of text: exit %d", code)
	}
	if code, _, _ = mdcliKV(t, ep, "cas", "n", "0", "x"); code != exitKVCASFailed {
		t.Fatalf("cas on a wrong value: exit %d", code)
	}
	if code, _, _ = mdcliKV(t, ep, "cas", "n", "42", "43"); code != exitOK {
		t.Fatalf("cas: exit %d", code)
	}
	if code, _, _ = mdcliKV(t, ep, "cas", "--version", "0", "fresh", "v"); code != exitOK {
		t.Fatalf("cas --version 0: exit %d", code)
	}
	if code, out, _ = mdcliKV(t, ep, "scan", "--linearizable", ""); code != exitOK || out != "fresh\tv\ngreeting\thello world\nn\t43\n" {
		t.Fatalf("scan: %d %q", code, out)
	}
	if code, _, _ = mdcliKV(t, ep, "del", "fresh"); code != exitOK {
		t.Fatalf("del: exit %d", code)
	}
	if code, _, _ = mdcliKV(t, ep, "del", "fresh"); code != exitKVNotFound {
		t.Fatalf("del again: exit %d", code)
	}
}

func TestKVStatus(t *testing.T) {
	ep := kvStore(t)
	code, out, errOut := mdcliKV(t, ep, "status")
	if code != exitOK {
		t.Fatalf("status: %d %q", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("status table: %q", out)
	}
	leaders := 0
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != 9 || f[1] != kv.DefaultGroup || f[2] != "voter" {
			t.Fatalf("status line %q", l)
		}
		if f[3] == "leader" {
			leaders++
			if f[6] != "0" || f[7] != "0ms" {
				t.Fatalf("leader's lag and contact: %q", l)
			}
		}
	}
	if leaders != 1 {
		t.Fatalf("%d leaders in %q", leaders, out)
	}
}

// transfer moves leadership to the named voter; add and remove change the
// membership (status lists the added replica, then no longer).
func TestKVAdmin(t *testing.T) {
	ep := kvStore(t)
	leader := func() string {
		_, out, _ := mdcliKV(t, ep, "status")
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) == 9 && f[3] == "leader" {
				return f[0]
			}
		}
		return ""
	}
	var old string
	brokertest.WaitFor(t, "a leader in status", func() bool { old = leader(); return old != "" })
	to := map[string]string{"n1": "n2", "n2": "n3", "n3": "n1"}[old]
	if code, out, errOut := mdcliKV(t, ep, "transfer", "--to", to); code != exitOK || out != "ok\n" {
		t.Fatalf("transfer: %d %q %q", code, out, errOut)
	}
	brokertest.WaitFor(t, to+" leads", func() bool { return leader() == to })
	if code, _, errOut := mdcliKV(t, ep, "add", "--id", "r9", "--raft", "127.0.0.1:9", "--replica"); code != exitOK {
		t.Fatalf("add: %d %q", code, errOut)
	}
	if _, out, _ := mdcliKV(t, ep, "status"); !strings.Contains(out, "r9") {
		t.Fatalf("status after add: %q", out)
	}
	if code, _, errOut := mdcliKV(t, ep, "remove", "--id", "r9"); code != exitOK {
		t.Fatalf("remove: %d %q", code, errOut)
	}
	brokertest.WaitFor(t, "r9 gone from status", func() bool { _, out, _ := mdcliKV(t, ep, "status"); return !strings.Contains(out, "r9") })
}

func TestKVUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"frob"}, {"get"}, {"put", "k"}, {"cas", "k", "v"}, {"scan", "--limit", "5000", "p"}, {"transfer"}, {"add", "--id", "x"}, {"remove"}} {
		if code, _, errOut := mdcliKV(t, "tcp://127.0.0.1:1", args...); code != exitUsage || !strings.Contains(errOut, "usage") {
			t.Errorf("%q: exit %d, stderr %q", args, code, errOut)
		}
	}
}
