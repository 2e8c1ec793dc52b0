package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/internal/curvekey"
	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

// keyFiles makes a key pair's files under dir (name, name.pub).
func keyFiles(t *testing.T, dir, name string) (path string, pair curvekey.Pair) {
	t.Helper()
	path = filepath.Join(dir, name)
	pair, err := curvekey.Generate(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, pair
}

// curveDial connects a DEALER as a CURVE client of the broker whose public
// key is server.
func curveDial(t *testing.T, ep string, server curvekey.Key, own curvekey.Pair) *peer {
	t.Helper()
	s, err := zmq.NewSocket(zmq.DEALER)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.SetLinger(0)
	if err := s.SetCurveServerkey(server.String()); err != nil {
		t.Fatal(err)
	}
	if err := s.SetCurvePublickey(own.Public.String()); err != nil {
		t.Fatal(err)
	}
	if err := s.SetCurveSecretkey(own.Secret.String()); err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(ep); err != nil {
		t.Fatal(err)
	}
	return &peer{t: t, s: s}
}

func writeText(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// As a process: SIGHUP reloads the --policy file without dropping
// connections. The client's socket stays connected and is refused what the
// new policy removed; the worker no longer allowed to serve b gets
// DISCONNECT while its a connection stays; a broken file leaves the
// policy in force, logged with its line and counted.
func TestPolicyReloadOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	brokerKey, brokerPair := keyFiles(t, dir, "broker.key")
	_, client := keyFiles(t, dir, "client.key")
	_, worker := keyFiles(t, dir, "worker.key")
	policy := filepath.Join(dir, "broker.acl")
	keys := "key app client.key.pub\nkey kv worker.key.pub\n"
	writeText(t, policy, keys+"allow app call a b\nallow kv serve a b\n")

	var logs logBuffer
	cmd := exec.Command(os.Args[0], append(append([]string(nil), testArgs...), "--curve-key", brokerKey, "--policy", policy)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, envPrefix) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, execEnv+"=1")
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	ep, admin := logs.started(t)

	wa, wb := curveDial(t, ep, brokerPair.Public, worker), curveDial(t, ep, brokerPair.Public, worker)
	wa.send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerReady, Ext: true, Service: "a", Tier: 1, Capacity: 1})
	wb.send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerReady, Ext: true, Service: "b", Tier: 1, Capacity: 1})
	brokertest.WaitFor(t, "workers registered", func() bool { return metricIs(t, admin, 2, "mdbroker_workers_registered_total") })
	c := curveDial(t, ep, brokerPair.Public, client)
	call := func(w *peer, service string) mdp.Message {
		t.Helper()
		id := uuid.New()
		c.send(mdp.Message{Version: mdp.V02, Kind: mdp.ClientRequest, Ext: true, Service: service, UUID: id,
			Timeout: waitLong, Body: [][]byte{[]byte("q")}})
		if w == nil {
			return c.expect(mdp.ClientError)
		}
		req := w.expect(mdp.WorkerRequest)
		w.send(mdp.Message{Version: mdp.V02, Kind: mdp.WorkerFinal, Ext: true, Address: req.Address, UUID: req.UUID,
			Body: [][]byte{[]byte("r")}})
		return c.expect(mdp.ClientFinal)
	}
	call(wb, "b")

	writeText(t, policy, keys+"allow app call a\nallow kv serve a\n")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	brokertest.WaitFor(t, "policy reloaded", func() bool { return metricIs(t, admin, 1, "mdbroker_access_reloads_total") })
	wb.expect(mdp.WorkerDisconnect)
	if m := call(nil, "b"); m.Status != mdp.StatusForbidden {
		t.Fatalf("b after the reload: %d %q", m.Status, m.Text)
	}
	call(wa, "a")

	writeText(t, policy, keys+"allow app call a\nallow kv sevre a\n")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	brokertest.WaitFor(t, "broken policy counted", func() bool { return metricIs(t, admin, 1, "mdbroker_access_reload_errors_total") })
	if !strings.Contains(logs.String(), "broker.acl:4: unknown right") {
		t.Fatalf("no line-numbered error in the log:\n%s", logs.String())
	}
	call(wa, "a")
	if !metricIs(t, admin, 3, "mdbroker_handshakes_accepted_total") || !metricIs(t, admin, 0, "mdbroker_handshakes_refused_total") {
		t.Fatal("a connection was made again: the reloads dropped one")
	}
}

// The flags are checked at start: a secret key file open to others, a
// policy without a key, a policy that does not parse, a bad rate.
func TestPolicyAndCurveFlagsRefused(t *testing.T) {
	dir := t.TempDir()
	key, pair := keyFiles(t, dir, "broker.key")
	exposed := filepath.Join(dir, "exposed.key")
	writeText(t, exposed, pair.Secret.String()+"\n")
	policy := filepath.Join(dir, "p.acl")
	writeText(t, policy, "key a "+pair.Public.String()+"\nallow a fly\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--curve-key", exposed}, "chmod 600"},
		{[]string{"--policy", policy}, "(from --policy) needs --curve-key"},
		{[]string{"--curve-key", key, "--policy", policy}, "p.acl:2: unknown right \"fly\""},
		{[]string{"--client-rate", "fast"}, "positive rate per second"},
		{[]string{"--client-max-inflight", "0"}, "client-max-inflight"},
	} {
		var stderr logBuffer
		if code := run(context.Background(), tc.args, nil, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, %s", tc.args, code, stderr.String())
		}
	}
}

// The security settings come from a config file as every other setting.
func TestPolicyFromConfigFile(t *testing.T) {
	dir := t.TempDir()
	key, pair := keyFiles(t, dir, "broker.key")
	policy := filepath.Join(dir, "p.acl")
	writeText(t, policy, "key a "+pair.Public.String()+"\n")
	conf := filepath.Join(dir, "mdbroker.conf")
	writeText(t, conf, "curve-key = "+key+"\npolicy = "+policy+"\nclient-rate = 50/s\nclient-burst = 5\nclient-max-inflight = 7\n")
	o, _, err := parseOptions([]string{"--config", conf}, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.cfg.CurveSecretKey != pair.Secret.String() || o.cfg.Access.Keys() != 1 || o.cfg.ClientRate != 50 ||
		o.cfg.ClientBurst != 5 || o.cfg.ClientMaxInFlight != 7 {
		t.Fatalf("config: key %v, access %d keys, rate %v burst %d in flight %d", o.cfg.CurveSecretKey != "",
			o.cfg.Access.Keys(), o.cfg.ClientRate, o.cfg.ClientBurst, o.cfg.ClientMaxInFlight)
	}
}
