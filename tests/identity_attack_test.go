package tests

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
	zmq "github.com/pebbe/zmq4"
)

// The routing-id attack of issue 9 (item 1). A ROUTER names a peer that
// sends no routing id with a generated one: a zero byte and a 32-bit
// counter. In a fresh process libzmq 4.3 starts the counter at glibc's
// first unseeded rand(), 0x6b8b4567 (libzmq keeps only the low bit of the
// second, 0x327b23c6, which is 0). Stock libzmq lets a peer claim any
// routing id, these included, and asserts when a generated one collides:
// the next anonymous connection aborts the broker. scripts/install-deps.sh
// installs a libzmq patched so that it cannot (scripts/libzmq).

// attackerEnv, set to a broker endpoint in a child's environment, makes the
// test binary run the attacker instead of the tests.
const attackerEnv = "MAJORDOMO_TEST_IDENTITY_ATTACKER"

const firstGeneratedID = 0x6b8b4567

func init() {
	if ep := os.Getenv(attackerEnv); ep != "" {
		os.Exit(runIdentityAttacker(ep, os.Stdin, os.Stdout))
	}
}

// attackIdentities are the routing ids the attacker claims: the counter's
// next 128 values, then a spread of other ids that start with a zero byte
// (random counters, the wrap, and other lengths).
func attackIdentities() [][]byte {
	var ids [][]byte
	generated := func(n uint32) []byte {
		id := []byte{0, 0, 0, 0, 0}
		binary.BigEndian.PutUint32(id[1:], n)
		return id
	}
	for i := range uint32(128) {
		ids = append(ids, generated(firstGeneratedID+i))
	}
	rng := rand.New(rand.NewPCG(9, 1))
	for range 32 {
		ids = append(ids, generated(rng.Uint32()))
	}
	ids = append(ids, generated(0), generated(1), generated(0xffffffff),
		[]byte{0}, []byte{0, 0}, []byte{0, 0x6b, 0x8b, 0x45},
		append([]byte{0}, []byte(strings.Repeat("x", 16))...),
		append([]byte{0}, []byte(strings.Repeat("y", 254))...))
	return ids
}

// mmiRequest is an MDP/0.2 mmi.service request, which the broker answers
// itself.
func mmiRequest() ([][]byte, error) {
	m := mdp.Message{Version: mdp.V02, Kind: mdp.ClientRequest, Service: "mmi.service", Body: [][]byte{[]byte("echo")}}
	return m.Frames()
}

// runIdentityAttacker connects a DEALER per attack identity to ep, sends an
// mmi.service request on each and counts the replies, prints
// "claimed N answered M", then holds every connection until stdin closes.
func runIdentityAttacker(ep string, stdin io.Reader, stdout io.Writer) int {
	zctx, err := zmq.NewContext()
	if err != nil {
		fmt.Fprintln(stdout, "attacker:", err)
		return 1
	}
	req, err := mmiRequest()
	if err != nil {
		fmt.Fprintln(stdout, "attacker:", err)
		return 1
	}
	poller := zmq.NewPoller()
	var socks []*zmq.Socket
	for _, id := range attackIdentities() {
		s, err := zctx.NewSocket(zmq.DEALER)
		if err == nil {
			s.SetLinger(0)
			err = s.SetIdentity(string(id))
		}
		if err == nil {
			err = s.Connect(ep)
		}
		if err == nil {
			_, err = s.SendMessage(req)
		}
		if err != nil {
			fmt.Fprintf(stdout, "attacker: identity %x: %v\n", id, err)
			return 1
		}
		socks = append(socks, s)
		poller.Add(s, zmq.POLLIN)
	}
	answered := map[*zmq.Socket]bool{}
	for deadline := time.Now().Add(waitLong); len(answered) < len(socks) && time.Now().Before(deadline); {
		polled, err := poller.Poll(100 * time.Millisecond)
		if err != nil {
			break
		}
		for _, p := range polled {
			if _, err := p.Socket.RecvMessageBytes(zmq.DONTWAIT); err == nil {
				answered[p.Socket] = true
			}
		}
	}
	fmt.Fprintf(stdout, "claimed %d answered %d\n", len(socks), len(answered))
	io.Copy(io.Discard, stdin)
	for _, s := range socks {
		s.Close()
	}
	zctx.Term()
	return 0
}

// mmiRoundTrip sends mmi.service on s and waits for the broker's answer,
// failing at once if the broker process dies meanwhile.
func (p *brokerProcess) mmiRoundTrip(t *testing.T, s *zmq.Socket, when string) {
	t.Helper()
	req, err := mmiRequest()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendMessage(req); err != nil {
		t.Fatal(err)
	}
	poller := zmq.NewPoller()
	poller.Add(s, zmq.POLLIN)
	for deadline := time.Now().Add(waitLong); time.Now().Before(deadline); {
		p.alive(t, when)
		polled, err := poller.Poll(50 * time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if len(polled) == 0 {
			continue
		}
		frames, err := s.RecvMessageBytes(0)
		if err != nil {
			t.Fatal(err)
		}
		if m, err := mdp.ParseDealer(frames); err != nil || m.Service != "mmi.service" {
			t.Fatalf("%s: answer %q (%v), want an mmi.service reply", when, frames, err)
		}
		return
	}
	t.Fatalf("%s: no answer within %v", when, waitLong)
}

// An attacker process claims the broker's next generated routing ids and
// other zero-prefixed ones; afterwards ordinary anonymous peers still
// connect, a worker and a client still get a request through, and the
// broker process is still alive. With Debian's libzmq 4.3.4 the first
// anonymous peer aborts the broker here.
func TestIdentityAttackDoesNotCrashBroker(t *testing.T) {
	bin := buildMdbroker(t)
	p, ep := startBrokerProcess(t, bin)

	attacker := exec.Command(os.Args[0], "-test.run=^$")
	attacker.Env = append(cleanEnv(), attackerEnv+"="+ep)
	hold, err := attacker.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := attacker.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := attacker.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		hold.Close()
		if err := attacker.Wait(); err != nil {
			t.Errorf("attacker: %v", err)
		}
	})
	report := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		report <- strings.TrimSpace(line)
		io.Copy(io.Discard, out)
	}()
	var line string
	select {
	case line = <-report:
	case <-time.After(2 * waitLong):
		t.Fatal("the attacker reported nothing")
	}
	claimed := len(attackIdentities())
	// Every zero-prefixed peer is served as an anonymous one: the patched
	// library renames it, it does not cut it off.
	if want := fmt.Sprintf("claimed %d answered %d", claimed, claimed); line != want {
		t.Fatalf("attacker: %q, want %q", line, want)
	}
	p.alive(t, "after the claims")

	// More anonymous peers than claimed ids: the counter walks through all
	// of them.
	for i := range 200 {
		s := brokertest.Dial(t, ep, zmq.DEALER)
		p.mmiRoundTrip(t, s, fmt.Sprintf("anonymous peer %d", i))
	}

	startWorker(t, ep, "echo", func(_ context.Context, req *workers.Request) ([][]byte, error) {
		return req.Body, nil
	})
	c := newClient(t, []string{ep})
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	reply, err := c.Request(ctx, "echo", []byte("still serving"))
	p.alive(t, "after the round trip")
	if err != nil || len(reply) != 1 || string(reply[0]) != "still serving" {
		t.Fatalf("echo: %q, %v", reply, err)
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
		if p.err != nil {
			t.Fatalf("mdbroker exited with %v after SIGTERM; its log:\n%s", p.err, p.logs.String())
		}
	case <-time.After(waitLong):
		t.Fatal("mdbroker did not stop on SIGTERM")
	}
}
