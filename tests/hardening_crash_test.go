package tests

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
	zmq "github.com/pebbe/zmq4"
)

// rawWorkerEnv, set to a broker endpoint in a child's environment, makes
// the test binary a raw extension worker of the service "victim" that
// says "got" on stdout when it receives a request and then never answers.
const rawWorkerEnv = "MAJORDOMO_TEST_RAW_WORKER"

func init() {
	if ep := os.Getenv(rawWorkerEnv); ep != "" {
		os.Exit(runRawWorker(ep, os.Stdout))
	}
}

func runRawWorker(ep string, stdout io.Writer) int {
	s, err := zmq.NewSocket(zmq.DEALER)
	if err != nil || s.Connect(ep) != nil {
		return 1
	}
	ready, _ := (&mdp.Message{Version: mdp.V02, Kind: mdp.WorkerReady, Ext: true, Service: "victim",
		Tier: 1, Capacity: 1}).Frames()
	if _, err := s.SendMessage(ready); err != nil {
		return 1
	}
	for {
		frames, err := s.RecvMessageBytes(0)
		if err != nil {
			return 1
		}
		if m, err := mdp.ParseDealer(frames); err == nil && m.Kind == mdp.WorkerRequest {
			fmt.Fprintln(stdout, "got")
		}
	}
}

// Issue 9, item 7: a worker process killed with SIGKILL while it holds a
// request is removed at the first send that fails (a heartbeat), and the
// request goes to another worker at once, long before the worker's expiry
// time (20ms × 1000 = 20s here, past the client's whole deadline).
func TestKilledWorkerIsReplacedBeforeItsExpiry(t *testing.T) {
	b, ep := startBroker(t, func(cfg *broker.Config) { cfg.HeartbeatLiveness = 1000 })
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), rawWorkerEnv+"="+ep)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	brokerWorkers := func() int { return b.Workers("victim") }
	brokertest.WaitFor(t, "the worker process registered", func() bool { return brokerWorkers() == 1 })

	c := newClient(t, []string{ep})
	ctx, cancel := context.WithTimeout(context.Background(), waitLong/2)
	defer cancel()
	call := c.Go(ctx, "victim", []byte("x"))
	got := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(out).ReadString('\n')
		if err == nil && strings.TrimSpace(line) != "got" {
			err = fmt.Errorf("worker process said %q", line)
		}
		got <- err
	}()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitLong):
		t.Fatal("the worker process never got the request")
	}
	startWorker(t, ep, "victim", func(ctx context.Context, req *workers.Request) ([][]byte, error) {
		return [][]byte{[]byte("survivor")}, nil
	})
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	reply, err := call.Wait()
	if err != nil || string(reply[0]) != "survivor" {
		t.Fatalf("call after the worker was killed: %q, %v", reply, err)
	}
	if s := b.State(); s.Counters.WorkersExpired != 0 || s.Counters.Requeued != 1 {
		t.Fatalf("counters %+v", s.Counters)
	}
}
