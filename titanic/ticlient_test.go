package titanic

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/workers"
)

// The zguide's Go Titanic client (pebbe/zmq4 v1.0.0, examples/ticlient.go),
// built unchanged from the module cache, against mdbroker --titanic and an
// echo worker. It talks MDP/0.1 through examples/mdapi and always dials
// tcp://localhost:5555, so this test needs that port.
const ticlientPort = "127.0.0.1:5555"

func buildTiclient(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	gomodcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	// The example's module must be in the module cache (go mod download
	// github.com/pebbe/zmq4@v1.0.0 puts it there); the go command fetches it
	// through the configured proxy otherwise.
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	mod := "module ticlient\n\ngo 1.21\n\nrequire github.com/pebbe/zmq4 v1.0.0\n"
	must(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o600))
	dl := exec.Command("go", "mod", "download", "github.com/pebbe/zmq4@v1.0.0")
	dl.Dir, dl.Env = dir, env
	if out, err := dl.CombinedOutput(); err != nil {
		t.Fatalf("go mod download github.com/pebbe/zmq4@v1.0.0: %v\n%s", err, out)
	}
	src := filepath.Join(strings.TrimSpace(string(gomodcache)), "github.com", "pebbe", "zmq4@v1.0.0", "examples", "ticlient.go")
	code, err := os.ReadFile(src)
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "ticlient.go"), code, 0o600))
	bin := filepath.Join(dir, "ticlient")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir, build.Env = dir, env
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the zguide ticlient: %v\n%s", err, out)
	}
	return bin
}

// awaitPortFree waits until nobody listens on addr (another test may hold it).
func awaitPortFree(t *testing.T, addr string) {
	t.Helper()
	brokertest.WaitFor(t, addr+" free", func() bool {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return false
		}
		ln.Close()
		return true
	})
}

func TestZguideTiclientWorksUnchanged(t *testing.T) {
	tic := buildTiclient(t)
	mdbroker := filepath.Join(t.TempDir(), "mdbroker")
	if out, err := exec.Command("go", "build", "-o", mdbroker, "../cmd/mdbroker").CombinedOutput(); err != nil {
		t.Fatalf("go build ../cmd/mdbroker: %v\n%s", err, out)
	}
	awaitPortFree(t, ticlientPort)
	broker := startProc(t, mdbroker, "--bind", "tcp://"+ticlientPort, "--admin", "off",
		"--titanic", t.TempDir(), "--heartbeat", "100ms")
	ep := "tcp://" + ticlientPort

	w, err := workers.New([]string{ep}, "echo", workers.WithHeartbeat(100*time.Millisecond))
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, workers.HandlerFunc(echo)) }()
	defer func() { cancel(); <-done }()

	var out bytes.Buffer
	cmd := exec.Command(tic)
	// The example's mdapi takes any error from Poll for Ctrl-C and exits
	// ("E: interrupted system call"): the Go runtime's preemption signal
	// (SIGURG) interrupts libzmq's poll on a loaded machine. Preemption by
	// signal is the runtime's, not the example's, so it is turned off for
	// the example's process; the example itself stays unchanged.
	cmd.Env = append(os.Environ(), "GODEBUG=asyncpreemptoff=1")
	cmd.Stdout, cmd.Stderr = &out, &out
	must(t, cmd.Start())
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("ticlient: %v\n%s\nmdbroker:\n%s", err, out.String(), broker.stderr)
		}
	case <-time.After(brokertest.Timeout):
		cmd.Process.Kill()
		<-waited
		t.Fatalf("ticlient did not finish\n%s\nmdbroker:\n%s", out.String(), broker.stderr)
	}
	got := out.String()
	if !strings.Contains(got, "I: request UUID ") || !strings.Contains(got, "Reply: Hello world") {
		t.Fatalf("ticlient output:\n%s", got)
	}
	t.Logf("ticlient said:\n%s", got)
}
