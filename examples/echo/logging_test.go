package echo

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/mdp"
)

// syncBuffer is a process's stderr that the test reads while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A warning of the example worker is one line, with no stack trace: a
// broker that answers READY with garbage makes it warn.
func TestWorkerWarningHasNoStackTrace(t *testing.T) {
	bin := t.TempDir()
	build(t, bin, "worker")
	ep := brokertest.FakeRouter(t, func(m mdp.Message, err error) [][]byte {
		if err == nil && m.Kind == mdp.WorkerReady {
			return [][]byte{[]byte("not a majordomo message")}
		}
		return nil
	})
	var stderr syncBuffer
	worker := exec.Command(filepath.Join(bin, "worker"), "-broker", ep)
	worker.Stderr = &stderr
	if err := worker.Start(); err != nil {
		t.Fatal(err)
	}
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		_ = worker.Wait()
	}()
	t.Cleanup(func() {
		select {
		case <-gone:
		default:
			_ = worker.Process.Kill()
			<-gone
		}
	})
	brokertest.WaitFor(t, "the worker to warn", func() bool { return strings.Contains(stderr.String(), "WARN") })
	if err := worker.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gone:
	case <-time.After(waitLong):
		t.Fatalf("worker still running after Ctrl-C\n%s", stderr.String())
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "goroutine ") {
			t.Fatalf("a stack trace in the worker's log:\n%s", stderr.String())
		}
	}
}
