package kv

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/internal/mdptest"
)

// startGroupProcs starts mdkv processes: voters n1.. in group a, replicas
// after them in group b, every broker's clients in group a.
func startGroupProcs(t *testing.T, voters, replicas int) *procCluster {
	t.Helper()
	b := brokertest.Start(t, func(c *broker.Config) { c.HeartbeatInterval = 50 * time.Millisecond })
	pc := &procCluster{t: t, bin: buildMdkv(t), broker: b, args: map[string][]string{},
		procs: map[string]*exec.Cmd{}, done: map[string]chan error{}}
	var peers []string
	addrs := map[string]string{}
	for i := range voters + replicas {
		id := fmt.Sprintf("n%d", i+1)
		pc.ids = append(pc.ids, id)
		addrs[id] = mdptest.UnusedAddr(t)
		suffix := ""
		if i >= voters {
			suffix = "/replica"
		}
		peers = append(peers, id+"="+addrs[id]+suffix)
	}
	for i, id := range pc.ids {
		group, role := "a", RoleVoter
		if i >= voters {
			group, role = "b", RoleReplica
		}
		pc.args[id] = []string{"--store", "kv", "--id", id, "--data", filepath.Join(t.TempDir(), id),
			"--raft", addrs[id], "--broker", b.Endpoint, "--peers", strings.Join(peers, ","),
			"--group", group, "--role", role, "--local-group", "a",
			"--heartbeat-timeout", "250ms", "--election-timeout", "250ms", "--leader-lease-timeout", "200ms",
			"--commit-timeout", "5ms", "--worker-heartbeat", "50ms", "--drain-timeout", "2s", "--log-level", "info"}
		pc.start(id)
	}
	cl, err := clients.New([]string{b.Endpoint}, clients.WithTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	pc.client, pc.kv = cl, NewClient(cl, "kv")
	pc.waitWorkers(voters + replicas)
	return pc
}

// The groups scenario with processes and kill -9: reads move to group b
// when the group-a nodes are killed, come back when they restart, and no
// replica ever leads.
func TestReplicaGroupsKill9(t *testing.T) {
	pc := startGroupProcs(t, 3, 2)
	ctx := ctxFor(t, time.Minute)
	w, err := pc.kv.Put(ctx, []byte("k"), []byte("v"))
	if err != nil {
		t.Fatal(err)
	}
	readerGroup := func() string {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		st, err := pc.kv.Status(rctx)
		if err != nil {
			return "error: " + err.Error()
		}
		return st.Group
	}
	noReplicaLeads := func() {
		t.Helper()
		for _, id := range []string{"n4", "n5"} {
			if st, err := pc.status(id); err == nil && st.Role == "leader" {
				t.Fatalf("replica %s leads", id)
			}
		}
	}
	if g := readerGroup(); g != "a" {
		t.Fatalf("read served by %q, want group a", g)
	}
	brokertest.WaitFor(t, "the replicas applied the write", func() bool {
		a4, err4 := pc.status("n4")
		a5, err5 := pc.status("n5")
		return err4 == nil && err5 == nil && a4.Applied >= w.Index && a5.Applied >= w.Index
	})
	for _, id := range []string{"n1", "n2", "n3"} {
		pc.kill9(id)
	}
	brokertest.WaitFor(t, "reads served by group b", func() bool { return readerGroup() == "b" })
	for range 10 {
		if g := readerGroup(); g != "b" {
			t.Fatalf("read without group a served by %q, want b", g)
		}
		noReplicaLeads()
	}
	if g, err := pc.kv.Get(ctx, []byte("k")); err != nil || string(g.Value) != "v" {
		t.Fatalf("stale read from group b: %+v %v", g, err)
	}
	for _, id := range []string{"n1", "n2", "n3"} {
		pc.start(id)
	}
	pc.waitWorkers(5)
	brokertest.WaitFor(t, "reads back in group a", func() bool { return readerGroup() == "a" })
	for range 10 {
		if g := readerGroup(); g != "a" {
			t.Fatalf("read after group a returned served by %q", g)
		}
	}
	noReplicaLeads()
	if lead := pc.leader(); lead == "n4" || lead == "n5" {
		t.Fatalf("replica %s leads", lead)
	}
}
