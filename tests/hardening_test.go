package tests

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
	zmq "github.com/pebbe/zmq4"
)

// Issue 9, item 2: a message is bounded as a whole before the broker
// buffers it. The broker runs as a process of its own (this test binary,
// re-executed) so that its memory can be read from /proc; it is sent
// oversizeMessages messages of oversizeFrames frames of 1 MiB each, 120 MiB
// in all, with MaxMessageSize at 4 MiB: each is over MaxMessageSize but
// within what libzmq takes (ZMQ_MAXMSGSIZE, 2 × MaxMessageSize + 32 MiB),
// so it gets 413 and the connection stays (a grossly larger message costs
// its sender the connection: multipart_bound_test.go).
//
// The bound is on what the broker keeps: libzmq hands a multipart message
// over only once all of it has arrived, so while one arrives libzmq holds
// it whole. The broker's peak RSS must stay under its baseline + one
// message held by libzmq + MaxMessageSize + rssMargin (allocator and
// libzmq buffers). Before the bound, the broker copied each whole message
// on top of libzmq's (baseline + 2 × 50 MiB and more for 50 MiB messages).
const (
	rssBrokerEnv     = "MAJORDOMO_TEST_RSS_BROKER"
	oversizeFrames   = 30
	oversizeMessages = 4
	rssMaxMessage    = 4 << 20
	rssMargin        = 24 << 20
)

func init() {
	if os.Getenv(rssBrokerEnv) != "" {
		os.Exit(runBrokerProcess(os.Stdin, os.Stdout))
	}
}

// runBrokerProcess runs a broker (MaxMessageSize rssMaxMessage, a 20ms
// heartbeat) until stdin closes or SIGTERM comes, after printing its
// endpoint; on SIGTERM it drains as mdbroker does.
func runBrokerProcess(stdin io.Reader, stdout io.Writer) int {
	cfg := broker.DefaultConfig()
	cfg.Endpoints = []string{"tcp://127.0.0.1:*"}
	cfg.MaxMessageSize = rssMaxMessage
	cfg.HeartbeatInterval, cfg.HeartbeatLiveness = testHeartbeat, testLiveness
	b, err := broker.New(cfg)
	if err != nil {
		fmt.Fprintln(stdout, "error:", err)
		return 1
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer cancel()
	go func() {
		io.Copy(io.Discard, stdin)
		cancel()
	}()
	fmt.Fprintln(stdout, b.Endpoints()[0])
	if err := b.Run(ctx); err != nil {
		return 1
	}
	return 0
}

// childBroker is runBrokerProcess running in a child process.
type childBroker struct {
	cmd  *exec.Cmd
	ep   string
	done chan struct{} // closed when it has exited; err is then set
	err  error
}

// startTestBrokerProcess runs runBrokerProcess in a child process until
// the test ends.
func startTestBrokerProcess(t *testing.T) *childBroker {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), rssBrokerEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b := &childBroker{cmd: cmd, done: make(chan struct{})}
	go func() {
		b.err = cmd.Wait()
		close(b.done)
	}()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-b.done:
		case <-time.After(waitLong):
			cmd.Process.Kill()
			<-b.done
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "tcp://") {
		t.Fatalf("broker process said %q (%v)", line, err)
	}
	b.ep = strings.TrimSpace(line)
	return b
}

func TestOversizeMessagesDoNotTakeTheBrokersMemory(t *testing.T) {
	b := startTestBrokerProcess(t)
	c := mdptest.Dial(t, b.ep, zmq.DEALER)
	ask := func(id uuid.UUID, body [][]byte) mdp.Message {
		t.Helper()
		c.Send(mdp.Message{Version: mdp.V02, Kind: mdp.ClientRequest, Ext: true, Service: "big",
			UUID: id, Timeout: time.Minute, Flags: mdp.FlagFailFast, Body: body})
		m := c.Recv()
		if m.UUID != id {
			t.Fatalf("reply for %v, want %v", m.UUID, id)
		}
		return m
	}
	// Warm up: one message within the bound (no worker: 404, fail-fast).
	if m := ask(uuid.New(), [][]byte{make([]byte, 1<<20)}); m.Status != mdp.StatusNotFound {
		t.Fatalf("warm-up: %v %d, want 404", m.Kind, m.Status)
	}
	baseline := procStatusKB(t, b.cmd.Process.Pid, "VmRSS")

	frame := make([]byte, 1<<20)
	for i := range frame {
		frame[i] = byte(i)
	}
	body := make([][]byte, oversizeFrames)
	for i := range body {
		body[i] = frame
	}
	for i := 0; i < oversizeMessages; i++ {
		if m := ask(uuid.New(), body); m.Kind != mdp.ClientError || m.Status != mdp.StatusTooLarge {
			t.Fatalf("message %d: %v %d, want 413", i, m.Kind, m.Status)
		}
	}
	peak := procStatusKB(t, b.cmd.Process.Pid, "VmHWM")
	bound := baseline + (oversizeFrames<<20+rssMaxMessage+rssMargin)>>10
	t.Logf("broker RSS: %d KiB before, peak %d KiB after %d MiB in %d messages; bound %d KiB",
		baseline, peak, oversizeFrames*oversizeMessages, oversizeMessages, bound)
	if peak > bound {
		t.Fatalf("broker peak RSS %d KiB, over the bound of %d KiB", peak, bound)
	}
}

// procStatusKB reads one "Name: N kB" line of /proc/pid/status.
func procStatusKB(t *testing.T, pid int, name string) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, name+":"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				t.Fatalf("%s: %q", name, line)
			}
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", name, pid)
	return 0
}

// Issue 9, item 11: a call longer than one attempt survives a graceful
// restart. The broker process gets SIGTERM while a worker holds the
// request; the client's retries (same UUID) reach the draining broker and
// are absorbed as duplicates instead of refused with 503, the worker's
// reply reaches the client, and the broker exits once it is delivered.
func TestSlowCallSurvivesGracefulShutdown(t *testing.T) {
	b := startTestBrokerProcess(t)
	started := make(chan struct{}, 1)
	startWorker(t, b.ep, "sleep", func(ctx context.Context, req *workers.Request) ([][]byte, error) {
		started <- struct{}{}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return [][]byte{[]byte("slept")}, nil
	})
	// Attempts of 300ms, retried at once: the retries reach the draining
	// broker long before the worker answers (a broker that refused them
	// with 503 would use them all up within milliseconds).
	c := newClient(t, []string{b.ep}, clients.WithTimeout(300*time.Millisecond), clients.WithRetries(8),
		clients.WithBackoff(0, 0))
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	call := c.Go(ctx, "sleep", []byte("1s"))
	select {
	case <-started:
	case <-time.After(waitLong):
		t.Fatal("the worker never got the request")
	}
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	reply, err := call.Wait()
	if err != nil || len(reply) != 1 || string(reply[0]) != "slept" {
		t.Fatalf("call across the graceful shutdown: %q, %v", reply, err)
	}
	select {
	case <-b.done:
		if b.err != nil {
			t.Fatalf("broker process after SIGTERM: %v", b.err)
		}
	case <-time.After(waitLong):
		t.Fatal("the broker did not exit after draining")
	}
}
