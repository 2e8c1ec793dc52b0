package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/internal/mdptest"
)

// The zguide's Go Majordomo broker (pebbe/zmq4 v1.0.0, examples/mdbroker.go
// with examples/mdapi), built from the module cache as the zguide ships it
// but for one literal: it binds "tcp://*:5555", which the build replaces
// with os.Getenv(zguideBindEnv), so that each test binds its own ephemeral
// loopback port and nothing else (titanic's ticlient test holds 5555)
// collides with it. It speaks MDP/0.1 only (RFC 7): messages with any other
// header are logged ("E: invalid message") and dropped.
const (
	zguideModule  = "github.com/pebbe/zmq4@v1.0.0"
	zguideBindLit = `"tcp://*:5555"`
	zguideBindEnv = "ZGUIDE_MDBROKER_BIND"
	// zguideHeartbeat is the example's HEARTBEAT_INTERVAL: it heartbeats
	// idle workers this often, and expires them after three of it.
	zguideHeartbeat = 2500 * time.Millisecond
)

// buildZguideBroker builds the example into a temporary directory.
func buildZguideBroker(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	// The go command fetches the module through the configured proxy when
	// it is not in the module cache yet.
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	mod := "module zguidebroker\n\ngo 1.21\n\nrequire github.com/pebbe/zmq4 v1.0.0\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o600); err != nil {
		t.Fatal(err)
	}
	dl := exec.Command("go", "mod", "download", "-json", zguideModule)
	dl.Dir, dl.Env = dir, env
	out, err := dl.Output()
	if err != nil {
		t.Fatalf("go mod download %s: %v\n%s", zguideModule, err, out)
	}
	src := filepath.Join(moduleDir(t, out), "examples", "mdbroker.go")
	code, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(code), zguideBindLit); n != 1 {
		t.Fatalf("%s has %d bind literals %s, want 1: the example changed", src, n, zguideBindLit)
	}
	patched := strings.Replace(string(code), zguideBindLit, "os.Getenv(\""+zguideBindEnv+"\")", 1)
	if err := os.WriteFile(filepath.Join(dir, "mdbroker.go"), []byte(patched), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "zguide-mdbroker")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir, build.Env = dir, env
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the zguide mdbroker: %v\n%s", err, out)
	}
	return bin
}

// moduleDir is the "Dir" of go mod download -json's answer.
func moduleDir(t *testing.T, js []byte) string {
	t.Helper()
	for _, line := range strings.Split(string(js), "\n") {
		line = strings.TrimSpace(line)
		if dir, ok := strings.CutPrefix(line, `"Dir": "`); ok {
			return strings.TrimSuffix(dir, `",`)
		}
	}
	t.Fatalf("no Dir in go mod download's answer:\n%s", js)
	return ""
}

// startZguideBroker runs the built example on an ephemeral loopback port
// until the test ends, and returns its endpoint and its log.
func startZguideBroker(t *testing.T, bin string) (string, *lockedBuffer) {
	t.Helper()
	ep := mdptest.UnusedEndpoint(t)
	var logs lockedBuffer
	cmd := exec.Command(bin)
	// The example takes any error from Poll for Ctrl-C and exits: the Go
	// runtime's preemption signal (SIGURG) interrupts libzmq's poll on a
	// loaded machine. It is the runtime's signal, so it is turned off for
	// the example's process; the example stays as it is.
	cmd.Env = append(os.Environ(), "GODEBUG=asyncpreemptoff=1", zguideBindEnv+"="+ep)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		t.Logf("zguide mdbroker said:\n%s", logs.String())
	})
	// The example ignores a failed bind; it logs this line only after one
	// that worked.
	mdptest.WaitFor(t, "the zguide broker to bind "+ep, func() bool {
		select {
		case <-exited:
			t.Fatalf("the zguide broker exited:\n%s", logs.String())
		default:
		}
		return strings.Contains(logs.String(), "is active at "+ep)
	})
	return ep, &logs
}
