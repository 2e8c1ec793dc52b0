package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/internal/curvekey"
	"github.com/majordomo-go/majordomo/mdp"
	zmq "github.com/pebbe/zmq4"
)

// BenchmarkCurveBrokerCPU measures what CURVE costs the broker: mdbroker
// runs as its own process, plain or with --curve-key (no policy), and one
// worker and one client in this process echo 64-byte requests through it
// with 100 in flight. It reports the wall time per request (ns/op) and
// the broker process's CPU per request (broker-cpu-ns/op, from
// /proc/PID/stat, whose clock ticks are 10 ms: run with -benchtime of a
// few seconds).
func BenchmarkCurveBrokerCPU(b *testing.B) {
	for _, curve := range []bool{false, true} {
		name := "plain"
		if curve {
			name = "curve"
		}
		b.Run(name, func(b *testing.B) { benchBrokerCPU(b, curve) })
	}
}

func benchBrokerCPU(b *testing.B, curve bool) {
	dir := b.TempDir()
	args := append([]string(nil), testArgs...)
	args = append(args, "--log-level", "info")
	var brokerPair, own curvekey.Pair
	if curve {
		var err error
		key := filepath.Join(dir, "broker.key")
		if brokerPair, err = curvekey.Generate(key); err != nil {
			b.Fatal(err)
		}
		if own, err = curvekey.Generate(filepath.Join(dir, "own.key")); err != nil {
			b.Fatal(err)
		}
		args = append(args, "--curve-key", key)
	}
	var logs logBuffer
	cmd := exec.Command(os.Args[0], args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, envPrefix) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, execEnv+"=1")
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	ep := benchStarted(b, &logs)

	sock := func() *zmq.Socket {
		s, err := zmq.NewSocket(zmq.DEALER)
		if err != nil {
			b.Fatal(err)
		}
		s.SetLinger(0)
		if curve {
			s.SetCurveServerkey(brokerPair.Public.String())
			s.SetCurvePublickey(own.Public.String())
			s.SetCurveSecretkey(own.Secret.String())
		}
		if err := s.Connect(ep); err != nil {
			b.Fatal(err)
		}
		return s
	}
	worker, client := sock(), sock()
	defer worker.Close()
	defer client.Close()
	send := func(s *zmq.Socket, m mdp.Message) {
		f, err := m.Frames()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.SendMessage(f); err != nil {
			b.Fatal(err)
		}
	}
	send(worker, mdp.Message{Version: mdp.V02, Kind: mdp.WorkerReady, Ext: true, Service: "echo", Tier: 1, Capacity: 1000})
	body := [][]byte{make([]byte, 64)}
	request := mdp.Message{Version: mdp.V02, Kind: mdp.ClientRequest, Service: "echo", Body: body}
	roundTrips := func(n int) {
		poller := zmq.NewPoller()
		poller.Add(worker, zmq.POLLIN)
		poller.Add(client, zmq.POLLIN)
		sent, done := 0, 0
		for done < n {
			for sent < n && sent-done < 100 {
				send(client, request)
				sent++
			}
			polled, err := poller.Poll(waitLong)
			if err != nil || len(polled) == 0 {
				b.Fatalf("stalled at %d of %d: %v\n%s", done, n, err, logs.String())
			}
			for _, p := range polled {
				frames, err := p.Socket.RecvMessageBytes(0)
				if err != nil {
					b.Fatal(err)
				}
				m, err := mdp.ParseDealer(frames)
				if err != nil {
					b.Fatal(err)
				}
				switch m.Kind {
				case mdp.WorkerRequest:
					send(worker, mdp.Message{Version: mdp.V02, Kind: mdp.WorkerFinal, Ext: true, Address: m.Address,
						UUID: m.UUID, Body: m.Body})
				case mdp.ClientFinal:
					done++
				}
			}
		}
	}
	roundTrips(1000) // warm up: connections made, handshakes done
	before := procCPU(b, cmd.Process.Pid)
	b.ResetTimer()
	roundTrips(b.N)
	b.StopTimer()
	ticks := procCPU(b, cmd.Process.Pid) - before
	b.ReportMetric(float64(ticks)*1e7/float64(b.N), "broker-cpu-ns/op")
}

// benchStarted waits for mdbroker's started line (as logBuffer.started,
// for a benchmark) and returns its endpoint.
func benchStarted(b *testing.B, logs *logBuffer) string {
	ep := ""
	brokertest.WaitFor(b, "mdbroker started", func() bool {
		for _, line := range strings.Split(logs.String(), "\n") {
			if i := strings.Index(line, `"endpoints":["`); i >= 0 && strings.Contains(line, `"mdbroker started"`) {
				rest := line[i+len(`"endpoints":["`):]
				ep = rest[:strings.Index(rest, `"`)]
				return true
			}
		}
		return false
	})
	return ep
}

// procCPU is the user and system time of process pid, in clock ticks
// (1/100 s).
func procCPU(b *testing.B, pid int) int64 {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		b.Fatal(err)
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return utime + stime
}
