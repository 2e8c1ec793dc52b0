package workers

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/internal/mdptest"
)

// brokerProc is cmd/mdbroker running as a child process, so that a crash
// is a real kill -9.
type brokerProc struct {
	cmd    *exec.Cmd
	ep     string
	stderr bytes.Buffer
	done   chan struct{}
}

// buildBroker builds cmd/mdbroker into the test's temporary directory.
func buildBroker(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mdbroker")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/mdbroker").CombinedOutput(); err != nil {
		t.Fatalf("go build ../cmd/mdbroker: %v\n%s", err, out)
	}
	return bin
}

func startBrokerProc(t *testing.T, bin, ep string) *brokerProc {
	t.Helper()
	p := &brokerProc{ep: ep, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "--bind", ep, "--admin", "off", "--log-level", "warn")
	p.cmd.Stderr = &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill(t)
		if t.Failed() {
			t.Logf("mdbroker %s stderr:\n%s", ep, p.stderr.String())
		}
	})
	return p
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *brokerProc) kill(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("mdbroker %s did not die", p.ep)
	}
}

// load runs 32 concurrent callers through c until stop, counting
// successes and failures.
type load struct {
	ok, failed atomic.Int64
	firstErr   atomic.Value
	stop       chan struct{}
	wg         sync.WaitGroup
}

func startLoad(t *testing.T, c *clients.Client, callers int) *load {
	l := &load{stop: make(chan struct{})}
	for range callers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				_, err := c.Request(ctx, "echo", []byte("ping"))
				cancel()
				if err != nil {
					l.failed.Add(1)
					l.firstErr.CompareAndSwap(nil, err)
				} else {
					l.ok.Add(1)
				}
			}
		}()
	}
	t.Cleanup(l.end)
	return l
}

func (l *load) end() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.wg.Wait()
}

// waitMore waits until n more calls have succeeded.
func (l *load) waitMore(t *testing.T, n int64, what string) {
	t.Helper()
	target := l.ok.Load() + n
	deadline := time.Now().Add(20 * time.Second)
	for l.ok.Load() < target {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d calls succeeded, wanted %d (failed %d)", what, l.ok.Load(), target, l.failed.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Two broker processes, two workers registered with both, a client on
// both with 32 calls in flight. kill -9 of one broker fails no call: the
// client retries what it had there on the other (same UUID) and the
// workers keep serving through the other. The broker restarted on its
// endpoint: both workers register with it again and serve calls that come
// only through it.
func TestTwoBrokersKillOneUnderLoad(t *testing.T) {
	bin := buildBroker(t)
	b1 := startBrokerProc(t, bin, mdptest.UnusedEndpoint(t))
	b2 := startBrokerProc(t, bin, mdptest.UnusedEndpoint(t))
	eps := []string{b1.ep, b2.ep}
	_, log1 := startMultiWorker(t, eps, "echo", HandlerFunc(echo), WithConcurrency(8))
	_, log2 := startMultiWorker(t, eps, "echo", HandlerFunc(echo), WithConcurrency(8))
	registered := func(ep string, n int) func() bool {
		return func() bool {
			return logged(log1, "registered with broker", ep) == n && logged(log2, "registered with broker", ep) == n
		}
	}
	mdptest.WaitFor(t, "both workers on both brokers", func() bool { return registered(b1.ep, 1)() && registered(b2.ep, 1)() })

	c, err := clients.New(eps, clients.WithTimeout(time.Second), clients.WithRetries(10))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	l := startLoad(t, c, 32)
	l.waitMore(t, 300, "before the kill")

	retriesBefore := c.Stats().Retries
	b1.kill(t) // the client's first choice: the calls in flight are there
	l.waitMore(t, 500, "after the kill")
	if c.Stats().Retries == retriesBefore {
		t.Fatal("no call was retried after the kill: the load did not go through the killed broker")
	}
	mdptest.WaitFor(t, "the loss logged by both workers", func() bool {
		return logged(log1, "lost broker", b1.ep) == 1 && logged(log2, "lost broker", b1.ep) == 1
	})

	b1 = startBrokerProc(t, bin, b1.ep)
	mdptest.WaitFor(t, "both workers registered again with the restarted broker", registered(b1.ep, 2))
	only1, err := clients.New([]string{b1.ep}, clients.WithTimeout(time.Second), clients.WithRetries(10))
	if err != nil {
		t.Fatal(err)
	}
	defer only1.Close()
	l1 := startLoad(t, only1, 8)
	l1.waitMore(t, 200, "through the restarted broker alone")
	l.waitMore(t, 200, "after the restart")
	l.end()
	l1.end()
	for _, x := range []*load{l, l1} {
		if n := x.failed.Load(); n != 0 {
			t.Fatalf("%d calls failed (of %d); first: %v", n, n+x.ok.Load(), x.firstErr.Load())
		}
	}
	t.Logf("calls: %d through both brokers, %d through the restarted one alone, none failed", l.ok.Load(), l1.ok.Load())
}
