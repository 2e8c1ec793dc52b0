package workers

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/mdp"
)

// childWorkerEnv, set to a broker endpoint in a child's environment, makes
// the test binary run one worker (see runChildWorker) instead of the tests.
const childWorkerEnv = "MAJORDOMO_TEST_CHILD_WORKER"

// runChildWorker serves "svc" at ep with the test timings until stdin
// closes. The handler prints "ran BODY" before answering with the body;
// at the end it prints "stale N" (Stats().Stale).
func runChildWorker(ep string) int {
	w, err := New([]string{ep}, "svc", WithHeartbeat(testHB), WithLiveness(testLiveness), WithReconnect(5*time.Millisecond, 50*time.Millisecond))
	if err != nil {
		fmt.Println("child:", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	err = w.Run(ctx, HandlerFunc(func(_ context.Context, req *Request) ([][]byte, error) {
		fmt.Printf("ran %s\n", req.Body[0])
		return req.Body, nil
	}))
	fmt.Printf("stale %d\n", w.Stats().Stale)
	if err != nil {
		fmt.Println("child:", err)
		return 1
	}
	return 0
}

// childWorker is a worker process started by startChildWorker.
type childWorker struct {
	cmd   *exec.Cmd
	stdin io.Closer
	lines chan string // its stdout, line by line; closed at its end
}

func startChildWorker(t *testing.T, ep string) *childWorker {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childWorkerEnv+"="+ep)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &childWorker{cmd: cmd, stdin: stdin, lines: make(chan string, 64)}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGCONT)
		cmd.Process.Kill()
		for range c.lines {
		}
		cmd.Wait()
	})
	return c
}

// signal sends sig to the child; after SIGSTOP it waits until every thread
// of the child has stopped (kill returns before they do).
func (c *childWorker) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	if sig == syscall.SIGSTOP {
		mdptest.WaitFor(t, "the worker process stopped", func() bool { return allThreadsStopped(t, c.cmd.Process.Pid) })
	}
}

// allThreadsStopped reads the state of each thread of pid from /proc.
func allThreadsStopped(t *testing.T, pid int) bool {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	if err != nil || len(tasks) == 0 {
		t.Fatalf("threads of %d: %v", pid, err)
	}
	for _, path := range tasks {
		stat, err := os.ReadFile(path)
		if err != nil {
			return false // a thread that ended meanwhile: look again
		}
		// pid (comm) state ...: comm may hold spaces, the state follows
		// the last ')'.
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 || i+2 >= len(stat) || (stat[i+2] != 'T' && stat[i+2] != 't') {
			return false
		}
	}
	return true
}

// stop closes the child's stdin and returns everything it printed.
func (c *childWorker) stop(t *testing.T) []string {
	t.Helper()
	c.stdin.Close()
	var out []string
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				if err := c.cmd.Wait(); err != nil {
					t.Fatalf("worker process: %v; it printed %q", err, out)
				}
				return out
			}
			out = append(out, line)
		case <-time.After(20 * time.Second):
			t.Fatalf("worker process did not stop; it printed %q", out)
		}
	}
}

// A worker process stopped with SIGSTOP finds, when resumed, requests that
// waited in its socket. One whose deadline passed meanwhile (the broker
// heartbeated it for longer than its timeout) is dropped unrun and counted;
// one still in time runs. One followed by the broker's DISCONNECT (the
// broker expired the worker and handed the request on) is dropped too, and
// the worker registers again.
func TestStoppedWorkerDropsStaleRequests(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	child := startChildWorker(t, b.Endpoint)
	ready := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))

	child.signal(t, syscall.SIGSTOP)
	late, fresh := uuid.New(), uuid.New()
	lateReq := xrequest("c1", late, mdp.FlagClientUUID, "late")
	lateReq.Timeout = 10 * testHB
	b.Send(ready.From, lateReq)
	// Heartbeats for twice the late request's timeout, at least testHB
	// apart as a broker sends them: sent here, as the fake broker's own may
	// come further apart on a loaded machine.
	for range 2 * lateReq.Timeout / testHB {
		last := b.LastSentTo(ready.From)
		mdptest.WaitFor(t, "a heartbeat interval", func() bool { return time.Since(last) >= testHB })
		b.Send(ready.From, mdp.Message{Version: mdp.V02, Kind: mdp.WorkerHeartbeat})
	}
	b.Send(ready.From, xrequest("c2", fresh, mdp.FlagClientUUID, "fresh"))
	child.signal(t, syscall.SIGCONT)
	b.Wait(1, "XFINAL of the fresh request", finalFor(fresh))
	if got := b.Messages(finalFor(late)); len(got) != 0 {
		t.Fatalf("the late request was answered: %+v", got[0].Msg)
	}

	// The request and the DISCONNECT must both be waiting in the stopped
	// worker's TCP receive buffer when it resumes, as they would be after a
	// real broker expired it: the fake broker's libzmq writes them after
	// send returns, so wait until they are there (no heartbeats meanwhile,
	// so that the byte count is theirs).
	b.SetSilent(true)
	child.signal(t, syscall.SIGSTOP)
	brokerPort := b.Endpoint[strings.LastIndexByte(b.Endpoint, ':')+1:]
	before := workerRxQueue(t, brokerPort)
	dropped := uuid.New()
	req := xrequest("c3", dropped, mdp.FlagClientUUID, "disconnected")
	disconnect := mdp.Message{Version: mdp.V02, Kind: mdp.WorkerDisconnect}
	b.Send(ready.From, req)
	b.Send(ready.From, disconnect)
	want := before + zmtpSize(t, req) + zmtpSize(t, disconnect)
	mdptest.WaitFor(t, "the request and DISCONNECT in the stopped worker's receive buffer", func() bool {
		return workerRxQueue(t, brokerPort) >= want
	})
	t.Logf("receive buffer: %d bytes before, %d with the request and DISCONNECT", before, want)
	child.signal(t, syscall.SIGCONT)
	b.SetSilent(false)
	again := b.Wait(2, "XREADY after DISCONNECT", mdptest.IsKind(mdp.WorkerReady))
	if again.From == ready.From {
		t.Fatal("registered again on the same socket")
	}
	after := uuid.New()
	b.Send(again.From, xrequest("c4", after, mdp.FlagClientUUID, "after"))
	b.Wait(1, "XFINAL on the new connection", finalFor(after))

	out := child.stop(t)
	if want := []string{"ran fresh", "ran after", "stale 2"}; strings.Join(out, "\n") != strings.Join(want, "\n") {
		t.Fatalf("worker process printed %q, want %q", out, want)
	}
	if got := b.Messages(finalFor(dropped)); len(got) != 0 {
		t.Fatalf("the request before DISCONNECT was answered: %+v", got[0].Msg)
	}
}

// zmtpSize is how many bytes m takes on the wire from a broker's ROUTER:
// each frame but the identity as ZMTP 3 frames (a flags byte, a one- or
// eight-byte size, the body).
func zmtpSize(t *testing.T, m mdp.Message) int {
	t.Helper()
	frames, err := m.AppendFrames(nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range frames {
		n += 2 + len(f)
		if len(f) > 255 {
			n += 7
		}
	}
	return n
}

// workerRxQueue is the receive queue, in bytes, of the one established
// loopback TCP connection to brokerPort (the worker's side), from
// /proc/net/tcp.
func workerRxQueue(t *testing.T, brokerPort string) int {
	t.Helper()
	port, err := strconv.Atoi(brokerPort)
	if err != nil {
		t.Fatalf("broker port %q: %v", brokerPort, err)
	}
	table, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	remote := fmt.Sprintf(":%04X", port)
	found, rx := 0, 0
	for _, line := range strings.Split(string(table), "\n")[1:] {
		f := strings.Fields(line)
		// sl local rem st tx_queue:rx_queue ...; 01 is ESTABLISHED.
		if len(f) < 5 || !strings.HasSuffix(f[2], remote) || f[3] != "01" {
			continue
		}
		_, q, _ := strings.Cut(f[4], ":")
		v, err := strconv.ParseInt(q, 16, 64)
		if err != nil {
			t.Fatalf("/proc/net/tcp: %q", line)
		}
		found, rx = found+1, int(v)
	}
	if found != 1 {
		t.Fatalf("%d established connections to port %d, want the worker's one", found, port)
	}
	return rx
}

// staleRequests judges each request by what follows it in the backlog.
func TestStaleRequestsRule(t *testing.T) {
	const hb = 100 * time.Millisecond
	req := func(timeout time.Duration) mdp.Message {
		return mdp.Message{Version: mdp.V02, Kind: mdp.WorkerRequest, Timeout: timeout}
	}
	heartbeat := mdp.Message{Version: mdp.V02, Kind: mdp.WorkerHeartbeat}
	disconnect := mdp.Message{Version: mdp.V02, Kind: mdp.WorkerDisconnect}
	for _, tc := range []struct {
		name  string
		batch []mdp.Message
		stale []bool
	}{
		{"alone", []mdp.Message{req(hb)}, []bool{false}},
		{"one interval short", []mdp.Message{req(250 * time.Millisecond), heartbeat, heartbeat}, []bool{false, false, false}},
		{"timeout reached", []mdp.Message{req(250 * time.Millisecond), heartbeat, heartbeat, heartbeat}, []bool{true, false, false, false}},
		{"exactly k intervals", []mdp.Message{req(2 * hb), heartbeat, heartbeat}, []bool{true, false, false}},
		{"no timeout (plain MDP)", []mdp.Message{req(0), heartbeat, heartbeat, heartbeat}, []bool{false, false, false, false}},
		{"only heartbeats after count", []mdp.Message{req(hb), req(hb), heartbeat}, []bool{true, true, false}},
		{"heartbeats before do not count", []mdp.Message{heartbeat, heartbeat, req(hb)}, []bool{false, false, false}},
		{"disconnect after", []mdp.Message{req(time.Hour), disconnect, req(time.Hour)}, []bool{true, false, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			why := staleRequests(nil, tc.batch, hb)
			for i := range tc.batch {
				if (why[i] != "") != tc.stale[i] {
					t.Errorf("message %d: stale %q, want stale %v", i, why[i], tc.stale[i])
				}
			}
		})
	}
}

// A handler that returns ctx.Err() at its deadline, or an error wrapping
// context.DeadlineExceeded of its own, sends 504; a cancelled context is
// still a 500.
func TestDeadlineExceededIs504(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	startWorker(t, b.Endpoint, "svc", HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		switch string(req.Body[0]) {
		case "wait":
			<-ctx.Done()
			return nil, ctx.Err()
		case "own":
			sub, cancel := context.WithTimeout(ctx, time.Millisecond)
			defer cancel()
			<-sub.Done()
			return nil, fmt.Errorf("database: %w", sub.Err())
		default:
			return nil, context.Canceled
		}
	}), WithConcurrency(3))
	ready := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	for _, tc := range []struct {
		body    string
		timeout time.Duration
		status  mdp.Status
	}{
		{"wait", 50 * time.Millisecond, mdp.StatusExpired},
		{"own", 10 * time.Second, mdp.StatusExpired},
		{"cancelled", 10 * time.Second, mdp.StatusInternal},
	} {
		id := uuid.New()
		m := xrequest("c", id, 0, tc.body)
		m.Timeout = tc.timeout
		b.Send(ready.From, m)
		got := b.Wait(1, "XERROR for "+tc.body, finalFor(id)).Msg
		if got.Kind != mdp.WorkerError || got.Status != tc.status {
			t.Errorf("%s: got %v %d %q, want XERROR %d", tc.body, got.Kind, got.Status, got.Text, tc.status)
		}
	}
}

// A request whose deadline passes while it waits for a busy slot is
// answered 504 without running, and counted.
func TestPendingRequestExpiresUnrun(t *testing.T) {
	b := startFakeBroker(t, "tcp://127.0.0.1:*", testHB, false)
	release := make(chan struct{})
	var ran []string
	var mu sync.Mutex
	r := startWorker(t, b.Endpoint, "svc", HandlerFunc(func(ctx context.Context, req *Request) ([][]byte, error) {
		mu.Lock()
		ran = append(ran, string(req.Body[0]))
		mu.Unlock()
		if string(req.Body[0]) == "busy" {
			awaitRelease(ctx, release)
		}
		return req.Body, nil
	}))
	ready := b.Wait(1, "XREADY", mdptest.IsKind(mdp.WorkerReady))
	busy, waiting := uuid.New(), uuid.New()
	b.Send(ready.From, xrequest("c1", busy, mdp.FlagClientUUID, "busy"))
	mdptest.WaitFor(t, "the busy handler running", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(ran) == 1
	})
	short := xrequest("c2", waiting, mdp.FlagClientUUID, "waiting")
	short.Timeout = 5 * testHB
	b.Send(ready.From, short)
	sent := time.Now()
	mdptest.WaitFor(t, "the waiting request's deadline", func() bool { return time.Since(sent) > 2*short.Timeout })
	close(release)
	got := b.Wait(1, "XERROR for the waiting request", finalFor(waiting)).Msg
	if got.Kind != mdp.WorkerError || got.Status != mdp.StatusExpired {
		t.Fatalf("waiting request: %v %d %q, want XERROR 504", got.Kind, got.Status, got.Text)
	}
	b.Wait(1, "XFINAL of the busy request", finalFor(busy))
	mu.Lock()
	defer mu.Unlock()
	if len(ran) != 1 || r.w.Stats().Stale != 1 {
		t.Fatalf("handlers ran for %q, stale %d; want only busy, 1", ran, r.w.Stats().Stale)
	}
}
