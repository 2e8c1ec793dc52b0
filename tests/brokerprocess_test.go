package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/internal/mdptest"
)

// brokerProcess is mdbroker running as a child process.
type brokerProcess struct {
	cmd    *exec.Cmd
	logs   lockedBuffer
	exited chan struct{}
	err    error // cmd.Wait's, once exited is closed
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// buildMdbroker builds cmd/mdbroker into a temporary directory.
func buildMdbroker(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mdbroker")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/majordomo-go/majordomo/cmd/mdbroker").CombinedOutput()
	if err != nil {
		t.Fatalf("go build mdbroker: %v\n%s", err, out)
	}
	return bin
}

// cleanEnv is the environment without the developer's MDBROKER_* settings.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MDBROKER_") {
			env = append(env, kv)
		}
	}
	return env
}

// startBrokerProcess runs bin on an ephemeral loopback port and returns it
// once it logs its endpoint; the test's end stops it.
func startBrokerProcess(t *testing.T, bin string) (*brokerProcess, string) {
	t.Helper()
	return startBrokerProcessAt(t, bin, "tcp://127.0.0.1:*")
}

// startBrokerProcessAt is startBrokerProcess bound to endpoint.
func startBrokerProcessAt(t *testing.T, bin, endpoint string) (*brokerProcess, string) {
	t.Helper()
	p := &brokerProcess{exited: make(chan struct{})}
	p.cmd = exec.Command(bin, "--bind", endpoint, "--admin", "off", "--log-format", "json")
	p.cmd.Env = cleanEnv()
	p.cmd.Stderr = &p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("mdbroker %s log:\n%s", endpoint, p.logs.String())
		}
	})
	var ep string
	mdptest.WaitFor(t, "mdbroker started", func() bool {
		for _, line := range strings.Split(p.logs.String(), "\n") {
			var l struct {
				Msg       string   `json:"msg"`
				Endpoints []string `json:"endpoints"`
			}
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "mdbroker started" && len(l.Endpoints) > 0 {
				ep = l.Endpoints[0]
				return true
			}
		}
		return false
	})
	return p, ep
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *brokerProcess) kill(t *testing.T) {
	t.Helper()
	p.cmd.Process.Kill()
	select {
	case <-p.exited:
	case <-time.After(waitLong):
		t.Fatal("mdbroker did not die")
	}
}

// alive fails the test if the broker process has exited.
func (p *brokerProcess) alive(t *testing.T, when string) {
	t.Helper()
	select {
	case <-p.exited:
		t.Fatalf("%s: mdbroker exited (%v): is the patched libzmq of scripts/install-deps.sh installed? Its log:\n%s",
			when, p.err, p.logs.String())
	default:
	}
}
