package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

// waitLong bounds every wait: generous for a loaded CI machine.
const waitLong = 15 * time.Second

// logBuffer collects log output written from another goroutine or process.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// started waits for the JSON "mdbroker started" line and returns its
// broker endpoint and admin address.
func (l *logBuffer) started(t *testing.T) (endpoint, admin string) {
	t.Helper()
	brokertest.WaitFor(t, "mdbroker started", func() bool { return strings.Contains(l.String(), `"mdbroker started"`) })
	sc := bufio.NewScanner(strings.NewReader(l.String()))
	for sc.Scan() {
		var line struct {
			Msg       string   `json:"msg"`
			Endpoints []string `json:"endpoints"`
			Admin     string   `json:"admin"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "mdbroker started" {
			return line.Endpoints[0], line.Admin
		}
	}
	t.Fatalf("no started line in %s", l.String())
	return "", ""
}

func httpGet(t *testing.T, admin, path string) (int, string) {
	t.Helper()
	client := http.Client{Timeout: waitLong}
	resp, err := client.Get("http://" + admin + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// testArgs binds ephemeral loopback ports and logs JSON, so the test can
// read where the broker listens. The raw test workers never heartbeat, so
// liveness is high enough that a stalled test is not taken for a dead one.
var testArgs = []string{"--bind", "tcp://127.0.0.1:*", "--admin", "127.0.0.1:0", "--log-format", "json",
	"--log-level", "debug", "--heartbeat", "100ms", "--liveness", "100", "--drain-timeout", "10s"}

// peer is a raw DEALER speaking exact protocol frames.
type peer struct {
	t *testing.T
	s *zmq.Socket
}

func dial(t *testing.T, ep string) *peer {
	t.Helper()
	return &peer{t: t, s: brokertest.Dial(t, ep, zmq.DEALER)}
}

func (p *peer) send(m mdp.Message) {
	p.t.Helper()
	frames, err := m.Frames()
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.s.SendMessage(frames); err != nil {
		p.t.Fatal(err)
	}
}

// expect returns the next message that is not a HEARTBEAT, which must be
// of kind.
func (p *peer) expect(kind mdp.Kind) mdp.Message {
	p.t.Helper()
	poller := zmq.NewPoller()
	poller.Add(p.s, zmq.POLLIN)
	for {
		polled, err := poller.Poll(waitLong)
		if err != nil || len(polled) == 0 {
			p.t.Fatalf("no %v within %v (%v)", kind, waitLong, err)
		}
		frames, err := p.s.RecvMessageBytes(0)
		if err != nil {
			p.t.Fatal(err)
		}
		m, err := mdp.ParseDealer(frames)
		if err != nil {
			p.t.Fatalf("parse %q: %v", frames, err)
		}
		if m.Kind == mdp.WorkerHeartbeat {
			continue
		}
		if m.Kind != kind {
			p.t.Fatalf("got %v %+v, want %v", m.Kind, m, kind)
		}
		return m
	}
}

// serveOne registers a plain MDP/0.1 worker, sends one plain request and
// returns the worker, the client, and the request as the worker got it.
func serveOne(t *testing.T, ep, admin string) (w, c *peer, req mdp.Message) {
	t.Helper()
	w = dial(t, ep)
	w.send(mdp.Message{Version: mdp.V01, Kind: mdp.WorkerReady, Service: "slow"})
	brokertest.WaitFor(t, "worker registered", func() bool {
		return metricIs(t, admin, 1, "mdbroker_workers", "service", "slow", "state", "idle")
	})
	c = dial(t, ep)
	c.send(mdp.Message{Version: mdp.V01, Kind: mdp.ClientRequest, Service: "slow", Body: [][]byte{[]byte("work")}})
	return w, c, w.expect(mdp.WorkerRequest)
}

// In process: the daemon serves requests and metrics, and a cancelled
// context drains it and exits 0.
func TestRunServesAndStops(t *testing.T) {
	var logs logBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := make(chan int, 1)
	go func() { code <- run(ctx, testArgs, nil, io.Discard, &logs) }()
	ep, admin := logs.started(t)

	w, c, req := serveOne(t, ep, admin)
	w.send(mdp.Message{Version: mdp.V01, Kind: mdp.WorkerFinal, Address: req.Address, Body: [][]byte{[]byte("done")}})
	if got := c.expect(mdp.ClientFinal); string(got.Body[0]) != "done" {
		t.Fatalf("client got %q", got.Body)
	}
	brokertest.WaitFor(t, "answered in metrics", func() bool {
		return metricIs(t, admin, 1, "mdbroker_requests_total", "service", "slow", "outcome", "answered")
	})
	fams := scrapeMetrics(t, admin)
	for _, name := range []string{"process_start_time_seconds", "go_goroutines", "mdbroker_service_request_duration_seconds"} {
		if fams[name] == nil {
			t.Errorf("/metrics has no %s", name)
		}
	}
	if status, page := httpGet(t, admin, "/"); status != http.StatusOK || !strings.Contains(page, `<a href="service?name=slow">slow</a>`) {
		t.Errorf("status page: %d\n%s", status, page)
	}
	if status, _ := httpGet(t, admin, "/livez"); status != http.StatusOK {
		t.Fatalf("/livez: %d", status)
	}

	cancel()
	select {
	case got := <-code:
		if got != 0 {
			t.Fatalf("exit code %d; logs:\n%s", got, logs.String())
		}
	case <-time.After(waitLong):
		t.Fatal("run did not return")
	}
	w.expect(mdp.WorkerDisconnect)
	if status, _ := httpGet(t, admin, "/livez"); status != 0 {
		t.Fatalf("admin still answers after exit: %d", status)
	}
}

// A port in use is a clean exit 1 with the reason in the log.
func TestRunPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var logs logBuffer
	args := append(append([]string(nil), testArgs...), "--admin", ln.Addr().String())
	if code := run(t.Context(), args, nil, io.Discard, &logs); code != 1 || !strings.Contains(logs.String(), "address already in use") {
		t.Fatalf("exit %d, logs %s", code, logs.String())
	}

	z, err := zmq.NewSocket(zmq.ROUTER)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	if err := z.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	taken, _ := z.GetLastEndpoint()
	logs = logBuffer{}
	args = append(append([]string(nil), testArgs...), "--bind", taken)
	if code := run(t.Context(), args, nil, io.Discard, &logs); code != 1 || !strings.Contains(logs.String(), "bind "+taken) {
		t.Fatalf("exit %d, logs %s", code, logs.String())
	}
}

// As a process: SIGTERM stops new work (readyz 503, new requests refused
// with 503), lets the request in flight finish, disconnects the worker and
// exits 0.
func TestSIGTERMDrains(t *testing.T) {
	var logs logBuffer
	cmd := exec.Command(os.Args[0], testArgs...)
	for _, kv := range os.Environ() { // the developer's own MDBROKER_* must not change the test
		if !strings.HasPrefix(kv, envPrefix) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, execEnv+"=1")
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	exited := make(chan struct{})
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	ep, admin := logs.started(t)

	w, c, req := serveOne(t, ep, admin)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	brokertest.WaitFor(t, "not ready while draining", func() bool {
		status, _ := httpGet(t, admin, "/readyz")
		return status == http.StatusServiceUnavailable
	})
	late := dial(t, ep)
	id := uuid.New()
	late.send(mdp.Message{Version: mdp.V02, Kind: mdp.ClientRequest, Ext: true, Service: "slow", UUID: id,
		Timeout: waitLong, Body: [][]byte{[]byte("late")}})
	refused := late.expect(mdp.ClientError)
	if refused.Status != mdp.StatusOverloaded || refused.UUID != id {
		t.Fatalf("late request got %+v, want 503", refused)
	}

	w.send(mdp.Message{Version: mdp.V01, Kind: mdp.WorkerFinal, Address: req.Address, Body: [][]byte{[]byte("finished")}})
	if got := c.expect(mdp.ClientFinal); string(got.Body[0]) != "finished" {
		t.Fatalf("client got %q", got.Body)
	}
	w.expect(mdp.WorkerDisconnect)
	select {
	case <-exited:
		if waitErr != nil {
			t.Fatalf("mdbroker exited with %v; logs:\n%s", waitErr, logs.String())
		}
	case <-time.After(waitLong):
		t.Fatalf("mdbroker did not exit; logs:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `"mdbroker stopped"`) {
		t.Fatalf("no stopped line in logs:\n%s", logs.String())
	}
}
