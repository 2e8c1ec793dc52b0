package titanic

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
)

// buildTitanic builds cmd/titanic into a temporary directory.
func buildTitanic(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "titanic")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/titanic").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ../cmd/titanic: %v\n%s", err, out)
	}
	return bin
}

// childProc is a command (titanic, mdbroker) running as a child process.
type childProc struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	done   chan error
	once   sync.Once
}

func startProc(t *testing.T, bin string, args ...string) *childProc {
	t.Helper()
	p := &childProc{cmd: exec.Command(bin, args...), stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() { p.kill(t) })
	return p
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *childProc) kill(t *testing.T) {
	p.once.Do(func() {
		p.cmd.Process.Kill()
		select {
		case <-p.done:
		case <-time.After(brokertest.Timeout):
			t.Error("titanic process did not die")
		}
	})
}

func TestKill9DuringLoadLosesNothingAndRunsEachOnce(t *testing.T) {
	// TITANIC_SOAK_SUBMISSIONS and TITANIC_SOAK_KILLS make this a soak run:
	// TITANIC_SOAK_SUBMISSIONS=20000 TITANIC_SOAK_KILLS=5 go test -race -run TestKill9 ./titanic
	total, kills := envInt(t, "TITANIC_SOAK_SUBMISSIONS", 2000), envInt(t, "TITANIC_SOAK_KILLS", 1)
	killEvery := total / (kills + 1)
	bin := buildTitanic(t)
	b := fastBroker(t)
	dir := t.TempDir()
	args := []string{"--broker", b.Endpoint, "--data", dir, "--heartbeat", "50ms", "--attempt-timeout", "2s", "--log-level", "warn"}

	var mu sync.Mutex
	runs := map[uuid.UUID]int{}
	startWorker(t, b, "work", 16, func(_ context.Context, r *workers.Request) ([][]byte, error) {
		mu.Lock()
		runs[r.UUID]++
		mu.Unlock()
		return append([][]byte{[]byte("done")}, r.Body...), nil
	}, workers.WithDedupCache(4*total, 10*time.Minute))

	proc := startProc(t, bin, args...)
	brokertest.WaitFor(t, "titanic registered", func() bool { return b.Workers(mdp.TitanicRequest) == 1 })

	c, err := clients.New([]string{b.Endpoint}, clients.WithTimeout(time.Second), clients.WithRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var accepted sync.Map // UUID text → body
	var nAccepted, nRefused atomic.Int64
	next := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				body := fmt.Sprint("job-", i)
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				r, err := c.Request(ctx, mdp.TitanicRequest, []byte("work"), []byte(body))
				cancel()
				if err != nil || len(r) != 2 || string(r[0]) != "200" {
					nRefused.Add(1) // no 200: the request may or may not have been stored
					continue
				}
				accepted.Store(string(r[1]), body)
				nAccepted.Add(1)
			}
		}()
	}
	for i := range total {
		if i > 0 && i%killEvery == 0 && i/killEvery <= kills {
			proc.kill(t)
			t.Logf("killed titanic (-9) after %d submissions, %d accepted", i, nAccepted.Load())
		}
		if i > 50 && (i-50)%killEvery == 0 && (i-50)/killEvery <= kills {
			proc = startProc(t, bin, args...)
		}
		next <- i
	}
	close(next)
	wg.Wait()
	t.Logf("%d accepted, %d without a 200", nAccepted.Load(), nRefused.Load())
	if nAccepted.Load() < int64(total/2) {
		t.Fatalf("only %d of %d accepted; stderr:\n%s", nAccepted.Load(), total, proc.stderr)
	}

	// Every request that got 200 is answered, with its own reply, and ran once.
	deadline := time.Now().Add(brokertest.Timeout + time.Duration(total)*2*time.Millisecond)
	accepted.Range(func(k, v any) bool {
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			r, err := c.Request(ctx, mdp.TitanicReply, []byte(k.(string)))
			cancel()
			if err == nil && len(r) > 0 && string(r[0]) == "200" {
				if len(r) != 3 || string(r[1]) != "done" || string(r[2]) != v.(string) {
					t.Errorf("%s: reply %q, want done and %s", k, r, v)
				}
				return true
			}
			if err == nil && string(r[0]) != "300" || time.Now().After(deadline) {
				t.Fatalf("%s (%s): %q, %v; stderr:\n%s", k, v, r, err, proc.stderr)
			}
			time.Sleep(10 * time.Millisecond) // polling a TSP reply, as a client does
		}
	})
	mu.Lock()
	defer mu.Unlock()
	accepted.Range(func(k, _ any) bool {
		id, _ := mdp.ParseUUID(k.(string))
		if n := runs[id]; n != 1 {
			t.Errorf("%s ran %d times, want exactly once", k, n)
		}
		return true
	})
	for id, n := range runs {
		if n != 1 {
			t.Errorf("%s ran %d times", mdp.FormatUUID(id), n)
		}
	}
	t.Logf("%d distinct requests ran at the worker", len(runs))
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

func TestProcessRefusesCorruptStore(t *testing.T) {
	bin := buildTitanic(t)
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, StoreFile), bytes.Repeat([]byte("not a bbolt file "), 2000), 0o600))
	cmd := exec.Command(bin, "--broker", "tcp://127.0.0.1:1", "--data", dir)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("titanic on a corrupt store: %v, want exit code 1\n%s", err, out)
	}
	if !strings.Contains(string(out), "store is corrupt") {
		t.Fatalf("no clear error:\n%s", out)
	}
}
