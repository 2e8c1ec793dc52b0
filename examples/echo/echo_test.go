package echo

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/majordomo-go/majordomo/broker/brokertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const waitLong = 30 * time.Second // a loaded CI machine, not a speed claim

// The README's quick start, as a user runs it: our broker, the echo worker
// in one process and the echo client in another, over loopback TCP. The
// client prints the worker's reply, one frame per line; Ctrl-C (SIGINT)
// makes the worker drain, leave the broker and exit 0.
func TestQuickStart(t *testing.T) {
	bin := t.TempDir()
	build(t, bin, "worker")
	build(t, bin, "client")
	b := brokertest.Start(t)
	ep := b.Endpoint

	var workerLog bytes.Buffer
	worker := exec.Command(filepath.Join(bin, "worker"), "-broker", ep)
	worker.Stderr = &workerLog
	if err := worker.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		exited <- worker.Wait()
	}()
	t.Cleanup(func() {
		select {
		case <-gone:
		default:
			_ = worker.Process.Kill()
			<-gone
		}
	})
	brokertest.WaitFor(t, "the echo worker to register", func() bool { return b.Workers("echo") == 1 })

	out, err := exec.Command(filepath.Join(bin, "client"), "-broker", ep, "hello", "world").Output()
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	if string(out) != "hello\nworld\n" {
		t.Fatalf("client printed %q, want \"hello\\nworld\\n\"", out)
	}

	if err := worker.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("worker after Ctrl-C: %v\n%s", err, workerLog.String())
		}
	case <-time.After(waitLong):
		t.Fatalf("worker still running after Ctrl-C\n%s", workerLog.String())
	}
	// Its DISCONNECT may reach the broker just after the process is gone.
	brokertest.WaitFor(t, "the echo worker to leave the broker", func() bool { return b.Workers("echo") == 0 })
	if n := b.State().Counters.WorkersExpired; n != 0 {
		t.Fatalf("the worker was expired (%d), not disconnected", n)
	}
	for _, want := range []string{"serving", "draining"} {
		if !bytes.Contains(workerLog.Bytes(), []byte(want)) {
			t.Fatalf("worker log lacks %q:\n%s", want, workerLog.String())
		}
	}
}

// build compiles one of the example commands into dir.
func build(t *testing.T, dir, name string) {
	t.Helper()
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the examples: %v", err)
	}
	cmd := exec.Command(gotool, "build", "-o", filepath.Join(dir, name), "./"+name)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./%s: %v\n%s", name, err, out)
	}
}
