package broker

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
)

// childWorkerEnv makes the test binary a worker process (see TestMain):
// "endpoint service tier mode name concurrency". Tests kill it with
// SIGKILL where a death matters.
const childWorkerEnv = "BROKER_TEST_CHILD_WORKER"

// childHeartbeat is the child workers' declared heartbeat interval: the
// broker expires a dead one after three of them.
const childHeartbeat = 100 * time.Millisecond

// runChildWorker serves service with the workers SDK until SIGTERM. The
// handler sleeps for the milliseconds in the first body frame and answers
// with its name and the wall-clock start and end of the work in
// nanoseconds, so a test can check that no two workers overlapped.
func runChildWorker() int {
	f := strings.Fields(os.Getenv(childWorkerEnv))
	tier, _ := strconv.Atoi(f[2])
	mode, _ := mdp.ParseMode(f[3])
	k, _ := strconv.Atoi(f[5])
	w, err := workers.New([]string{f[0]}, f[1], workers.WithTier(tier), workers.WithMode(mode), workers.WithName(f[4]),
		workers.WithVersion("test"), workers.WithConcurrency(k), workers.WithHeartbeat(childHeartbeat),
		workers.WithReconnect(10*time.Millisecond, 100*time.Millisecond))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	err = w.Run(ctx, workers.HandlerFunc(func(ctx context.Context, req *workers.Request) ([][]byte, error) {
		start := time.Now()
		if len(req.Body) > 0 {
			ms, _ := strconv.Atoi(string(req.Body[0]))
			time.Sleep(time.Duration(ms) * time.Millisecond)
		}
		end := time.Now()
		return [][]byte{[]byte(f[4]), []byte(strconv.FormatInt(start.UnixNano(), 10)),
			[]byte(strconv.FormatInt(end.UnixNano(), 10))}, nil
	}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// childWorker is a worker process started from the test binary.
type childWorker struct {
	name string
	cmd  *exec.Cmd
}

func startChildWorker(t *testing.T, ep, service string, tier int, mode mdp.Mode, name string, concurrency int) *childWorker {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %s %d %s %s %d", childWorkerEnv, ep, service, tier, mode, name, concurrency))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cw := &childWorker{name: name, cmd: cmd}
	t.Cleanup(cw.kill)
	return cw
}

// kill sends SIGKILL and reaps the process; it may be called twice.
func (cw *childWorker) kill() {
	if cw.cmd.ProcessState == nil {
		cw.cmd.Process.Kill()
		cw.cmd.Wait()
	}
}

// waitWorkers waits until service has n registered workers.
func (tb *testBroker) waitWorkers(t *testing.T, service string, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d workers of %s", n, service), func() bool {
		for _, s := range tb.snapshot(t).Services {
			if s.Name == service {
				return s.Workers == n
			}
		}
		return n == 0
	})
}

// span is one request's run on a worker, from the reply.
type span struct {
	worker     string
	start, end int64
}

func parseSpan(t *testing.T, m mdp.Message) span {
	t.Helper()
	if m.Kind != mdp.ClientFinal || len(m.Body) != 3 {
		t.Fatalf("reply %v %q", m.Kind, m.Body)
	}
	start, _ := strconv.ParseInt(string(m.Body[1]), 10, 64)
	end, _ := strconv.ParseInt(string(m.Body[2]), 10, 64)
	return span{worker: string(m.Body[0]), start: start, end: end}
}
