package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

// rawWorker registers an extension worker from raw frames (it never
// heartbeats: the broker is told to be patient).
func rawWorker(t *testing.T, ep string, m mdp.Message) {
	t.Helper()
	s := brokertest.Dial(t, ep, zmq.DEALER)
	frames, err := m.Frames()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendMessage(frames); err != nil {
		t.Fatal(err)
	}
}

// mdcli services and mdcli workers show a strict and an exclusive service
// as the broker sees them: mode, tiers by state, and each worker's
// declaration; --json passes the broker's entries on whole.
func TestExclusiveServicesAndWorkersCommands(t *testing.T) {
	ep := brokertest.Start(t, func(c *broker.Config) { c.HeartbeatLiveness = 1000 }).Endpoint
	ready := func(service string, tier uint8, mode mdp.Mode, name string) mdp.Message {
		return mdp.Message{Version: mdp.V02, Kind: mdp.WorkerReady, Ext: true, Service: service, Tier: tier, Capacity: 2,
			Mode: mode, WorkerName: name, WorkerVersion: "1.0", Metadata: map[string]string{"dc": "par1"}}
	}
	rawWorker(t, ep, ready("db", 1, mdp.ModeExclusive, "primary"))
	b := "--broker=" + ep
	brokertest.WaitFor(t, "primary registered", func() bool { code, _, _ := mdcli(t, b, "service", "db"); return code == exitOK })
	rawWorker(t, ep, ready("db", 2, mdp.ModeExclusive, "backup"))
	rawWorker(t, ep, ready("geo", 1, mdp.ModeStrict, "geo1"))
	var stdout string
	brokertest.WaitFor(t, "three workers", func() bool {
		_, stdout, _ = mdcli(t, b, "services")
		return strings.Contains(stdout, "1:active=1 2:standby=1") && strings.Contains(stdout, "1:idle=1")
	})
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "SERVICE  MODE ") ||
		!strings.HasPrefix(lines[1], "db       exclusive  2 ") || !strings.HasPrefix(lines[2], "geo      strict     1 ") {
		t.Fatalf("services:\n%s", stdout)
	}

	code, stdout, stderr := mdcli(t, b, "workers", "db")
	lines = strings.Split(strings.TrimSpace(stdout), "\n")
	if code != exitOK || len(lines) != 3 || !strings.HasPrefix(lines[0], "ID ") {
		t.Fatalf("workers db: %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"1     active   2 ", "primary  1.0      dc=par1", "2     standby  2 ", "backup   1.0      dc=par1"} {
		if !strings.Contains(stdout, want) {
			t.Fatalf("workers db lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, _ = mdcli(t, b, "--json", "workers", "db")
	var list []broker.MMIWorker
	if code != exitOK || json.Unmarshal([]byte(stdout), &list) != nil || len(list) != 2 {
		t.Fatalf("workers --json: %d %s", code, stdout)
	}
	for _, w := range list {
		if w.Mode != "exclusive" || w.Version != "1.0" || w.Metadata["dc"] != "par1" || w.Capacity != 2 {
			t.Fatalf("worker %+v", w)
		}
	}
	code, stdout, _ = mdcli(t, b, "--json", "services")
	var services []broker.MMIService
	if code != exitOK || json.Unmarshal([]byte(stdout), &services) != nil || len(services) != 2 ||
		services[0].Mode != "exclusive" || len(services[0].Tiers) != 2 || services[0].Stats.WindowSecs != 60 {
		t.Fatalf("services --json: %d %s", code, stdout)
	}
	if code, _, stderr := mdcli(t, b, "workers", "nobody"); code != exitServiceError || !strings.Contains(stderr, "nobody has no workers") {
		t.Fatalf("workers nobody: %d %q", code, stderr)
	}
	if code, _, stderr := mdcli(t, b, "workers"); code != exitUsage || !strings.Contains(stderr, "exactly one NAME") {
		t.Fatalf("workers without a name: %d %q", code, stderr)
	}
}
