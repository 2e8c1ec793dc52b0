package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/kv"
)

var required = []string{"--store", "kv", "--id", "a", "--data", "/tmp/x", "--raft", "127.0.0.1:7000",
	"--broker", "tcp://127.0.0.1:5555", "--peers", "a=127.0.0.1:7000,b=127.0.0.1:7001"}

func TestOptionsPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "mdkv.conf")
	os.WriteFile(file, []byte("election-timeout = 3s\nheartbeat-timeout = 2s # comment\ncommit-timeout = 7ms\n"), 0o600)
	env := map[string]string{"MDKV_ELECTION_TIMEOUT": "4s", "MDKV_CONFIG": file, "MDKV_BOGUS": "1"}
	o, unknown, err := parseOptions(append(required, "--election-timeout", "5s"), env)
	if err != nil {
		t.Fatal(err)
	}
	c := o.cfg
	if c.ElectionTimeout != 5*time.Second || c.HeartbeatTimeout != 2*time.Second || c.CommitTimeout != 7*time.Millisecond {
		t.Fatalf("flags > env > file broken: %+v", c)
	}
	if len(unknown) != 1 || unknown[0] != "MDKV_BOGUS" {
		t.Fatalf("unknown env %v", unknown)
	}
	if _, _, err := parseOptions(append(required, "--peers", "b=127.0.0.1:1"), nil); err != nil {
		t.Fatalf("peers without this node (it waits to be added): %v", err)
	}
	if len(c.Peers) != 2 || c.Peers[1].ID != "b" || c.Peers[1].Addr != "127.0.0.1:7001" || c.Brokers[0] != "tcp://127.0.0.1:5555" {
		t.Fatalf("peers/brokers: %+v %v", c.Peers, c.Brokers)
	}
}

func TestOptionsGroupsAndAdmin(t *testing.T) {
	o, _, err := parseOptions(append(required, "--group", "paris", "--role", "replica", "--local-group", "lyon",
		"--admin", "127.0.0.1:9100", "--broker", "tcp://127.0.0.1:5555,tcp://10.0.0.9:5555", "--broker-group", "paris=tcp://10.0.0.9:5555", "--max-staleness", "5s", "--catch-up-lag", "10",
		"--peers", "a=127.0.0.1:7000/replica,b=127.0.0.1:7001"), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := o.cfg
	if c.Group != "paris" || c.Role != kv.RoleReplica || c.LocalGroup != "lyon" || c.AdminAddr != "127.0.0.1:9100" ||
		c.MaxStaleness != 5*time.Second || c.CatchUpLag != 10 || !c.Peers[0].Replica ||
		c.ReadTier("tcp://127.0.0.1:5555") != kv.TierRemote || c.ReadTier("tcp://10.0.0.9:5555") != kv.TierLocal {
		t.Fatalf("config %+v", c)
	}
	if d, _, _ := parseOptions(required, nil); d.cfg.Group != kv.DefaultGroup || d.cfg.Role != kv.RoleVoter || d.cfg.AdminAddr != "" || d.cfg.ReadTier("tcp://127.0.0.1:5555") != kv.TierLocal {
		t.Fatalf("defaults %+v", d.cfg)
	}
}

func TestOptionsRefused(t *testing.T) {
	for name, args := range map[string][]string{
		"no store":           {"--id", "a", "--data", "d", "--raft", "127.0.0.1:1", "--broker", "tcp://127.0.0.1:2"},
		"bad peers":          append(append([]string{}, required...), "--peers", "a"),
		"unknown role":       append(append([]string{}, required...), "--role", "observer"),
		"replica as voter":   append(append([]string{}, required...), "--peers", "a=127.0.0.1:1/replica"),
		"negative staleness": append(append([]string{}, required...), "--max-staleness", "-1s"),
		"group of no broker": append(append([]string{}, required...), "--broker-group", "x=tcp://10.9.9.9:1"),
		"broker group form":  append(append([]string{}, required...), "--broker-group", "tcp://10.9.9.9:1"),
		"bad duration":       append(append([]string{}, required...), "--election-timeout", "soon"),
		"broker without tcp": append(append([]string{}, required...), "--broker", "127.0.0.1:5555"),
		"stray argument":     append(append([]string{}, required...), "extra"),
	} {
		var stderr bytes.Buffer
		if code := run(context.Background(), args, nil, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "mdkv:") {
			t.Errorf("%s: exit %d, stderr %q", name, code, stderr.String())
		}
	}
}

func TestCorruptDataDirExits1(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "fsm.db"), bytes.Repeat([]byte{0x5a}, 32<<10), 0o600)
	args := []string{"--store", "kv", "--id", "a", "--data", dir, "--raft", "127.0.0.1:0", "--broker", "tcp://127.0.0.1:5555"}
	var stderr bytes.Buffer
	if code := run(context.Background(), args, nil, io.Discard, &stderr); code != 1 || !strings.Contains(stderr.String(), "corrupt") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}

// --version is a command: it prints the build and exits 0 without needing
// the node's settings, and MDKV_VERSION is not read as it.
func TestVersion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"--version"}, nil, &stdout, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "mdkv ") {
		t.Fatalf("--version: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	if code := run(context.Background(), nil, map[string]string{"MDKV_VERSION": "1"}, &stdout, &stderr); code != 2 || stdout.Len() != 0 {
		t.Fatalf("MDKV_VERSION alone: exit %d (want 2: no settings), stdout %q", code, stdout.String())
	}
}
