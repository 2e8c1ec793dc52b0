package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/workers"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// scriptedBroker answers extension requests the way a broker would for the
// cases mdcli must tell apart: "echo" echoes, "xerror.503" is overloaded,
// "binary" answers a non-UTF-8 frame, mmi.service knows only "echo",
// mmi.services lists it, and anything else gets no answer at all.
func scriptedBroker(t *testing.T) string {
	t.Helper()
	return brokertest.FakeRouter(t, func(m mdp.Message, err error) [][]byte {
		if err != nil || !m.Ext {
			t.Errorf("scripted broker: %v", err)
			return nil
		}
		out := mdp.Message{Version: mdp.V02, Ext: true, Kind: mdp.ClientFinal, Service: m.Service, UUID: m.UUID}
		switch m.Service {
		case "echo":
			out.Body = m.Body
		case "binary":
			out.Body = [][]byte{{0xff, 0x00}}
		case "expired":
			out.Kind, out.Status = mdp.ClientError, mdp.StatusExpired
		case "xerror.503":
			out.Kind, out.Status, out.Text = mdp.ClientError, mdp.StatusOverloaded, "queue full"
		case mdp.MMIService:
			out.Body = [][]byte{[]byte("404")}
			if len(m.Body) == 1 && string(m.Body[0]) == "echo" {
				out.Body = [][]byte{[]byte("200")}
			}
		case mdp.MMIServices: // two pages, then an empty one
			page := `[{"name":"echo","workers":2,"queued":1}]`
			if len(m.Body) == 1 {
				page = map[string]string{"echo": `[{"name":"zeta","workers":0,"queued":3}]`, "zeta": `[]`}[string(m.Body[0])]
			}
			out.Body = [][]byte{[]byte("200"), []byte(page)}
		default:
			return nil
		}
		frames, _ := out.Frames()
		return frames
	})
}

func mdcli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCommandsAndExitCodes(t *testing.T) {
	ep := scriptedBroker(t)
	b := "--broker=" + ep
	cases := []struct {
		name     string
		args     []string
		code     int
		stdout   string // exact, unless empty
		stderrIn string // substring, unless empty
	}{
		{"call", []string{b, "call", "echo", "a", "", "b"}, exitOK, "a\n\nb\n", ""},
		{"flags after command", []string{"call", b, "--timeout=5s", "echo", "x"}, exitOK, "x\n", ""},
		{"frames are never flags", []string{b, "call", "echo", "-x", "--json"}, exitOK, "-x\n--json\n", ""},
		{"binary as hex", []string{b, "call", "binary"}, exitOK, "0xff00\n", ""},
		{"json", []string{b, "--json", "call", "echo", "a"}, exitOK, `{"service":"echo","encoding":"utf-8","frames":["a"]}` + "\n", ""},
		{"json binary", []string{b, "--json", "call", "binary"}, exitOK, `{"service":"binary","encoding":"base64","frames":["/wA="]}` + "\n", ""},
		{"service error", []string{b, "call", "xerror.503"}, exitServiceError, "", "503 overloaded: queue full"},
		{"service error json", []string{b, "--json", "call", "xerror.503"}, exitServiceError, `{"error":"clients: service \"xerror.503\": 503 overloaded: queue full","status":503}` + "\n", ""},
		{"504 is a timeout", []string{b, "call", "expired"}, exitTimeout, "", "504 deadline expired"},
		{"timeout", []string{b, "--timeout=200ms", "--retries=1", "call", "silent"}, exitTimeout, "", "timed out"},
		{"service found", []string{b, "service", "echo"}, exitOK, "echo: found\n", ""},
		{"service not found", []string{b, "service", "nope"}, exitServiceError, "nope: not found\n", ""},
		{"service json", []string{b, "--json", "service", "echo"}, exitOK, `{"service":"echo","exists":true}` + "\n", ""},
		{"services", []string{b, "services"}, exitOK, "" +
			"SERVICE  MODE  WORKERS  QUEUED  IN-FLIGHT  TIERS  REQUESTS  ERRORS  P50  P99\n" +
			"echo     -     2        1       0          -      0         0       -    -\n" +
			"zeta     -     0        3       0          -      0         0       -    -\n", ""},
		{"services json", []string{b, "--json", "services"}, exitOK,
			`[{"name":"echo","workers":2,"queued":1},{"name":"zeta","workers":0,"queued":3}]` + "\n", ""},
		{"no command", []string{b}, exitUsage, "", "usage: mdcli"},
		{"unknown command", []string{b, "frobnicate"}, exitUsage, "", "unknown command"},
		{"call without service", []string{b, "call"}, exitUsage, "", "needs a SERVICE"},
		{"service without name", []string{b, "service"}, exitUsage, "", "exactly one NAME"},
		{"services with args", []string{b, "services", "x"}, exitUsage, "", "no arguments"},
		{"bad flag", []string{"--nope", "call", "echo"}, exitUsage, "", "not defined"},
		{"bad retries", []string{b, "--retries=-1", "call", "echo"}, exitUsage, "", "retries"},
		{"bad timeout", []string{b, "--timeout=0s", "call", "echo"}, exitUsage, "", "timeout"},
		{"attempts too short", []string{b, "--timeout=10ms", "--retries=20", "call", "echo"}, exitUsage, "", "less than 1ms"},
		{"bad broker", []string{"--broker=nonsense", "call", "echo"}, exitUsage, "", "nonsense"},
		{"help", []string{"-h"}, exitOK, "", "exit codes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := mdcli(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", code, tc.code, stdout, stderr)
			}
			if tc.stdout != "" && stdout != tc.stdout {
				t.Fatalf("stdout %q, want %q", stdout, tc.stdout)
			}
			if tc.stderrIn != "" && !strings.Contains(stderr, tc.stderrIn) {
				t.Fatalf("stderr %q does not contain %q", stderr, tc.stderrIn)
			}
		})
	}
}

// With a dead broker first in the list, the call fails over to the next.
func TestSeveralBrokers(t *testing.T) {
	ep := scriptedBroker(t)
	code, stdout, stderr := mdcli(t, "--broker=tcp://127.0.0.1:1", "--broker="+ep, "--timeout=4s", "--retries=3", "call", "echo", "hi")
	if code != exitOK || stdout != "hi\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestJSONErrorIsValidJSON(t *testing.T) {
	ep := scriptedBroker(t)
	code, stdout, _ := mdcli(t, "--broker="+ep, "--json", "--timeout=100ms", "--retries=0", "call", "silent")
	var doc struct {
		Error  string `json:"error"`
		Status int    `json:"status"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || code != exitTimeout || doc.Error == "" || doc.Status != 0 {
		t.Fatalf("exit %d, %q: %+v %v", code, stdout, doc, err)
	}
}

// mdcli against the real broker and workers made with the workers SDK:
// "echo" echoes, "fails" answers 500 with a text. The exit codes tell
// success, an error reply and a timeout apart.
func TestAgainstRealBroker(t *testing.T) {
	ep := brokertest.Start(t, func(cfg *broker.Config) {
		cfg.DrainTimeout = 10 * time.Millisecond
		cfg.Logger = zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	}).Endpoint
	// Workers stop before the broker (cleanups run last first).
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	b := "--broker=" + ep

	// No workers yet.
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
	}{
		{[]string{b, "--json", "services"}, exitOK, "[]\n"},
		{[]string{b, "service", "echo"}, exitServiceError, "echo: not found\n"},
		{[]string{b, "--fail-fast", "call", "echo"}, exitServiceError, ""},
		{[]string{b, "--timeout=300ms", "call", "echo"}, exitTimeout, ""},
	} {
		code, stdout, stderr := mdcli(t, tc.args...)
		if code != tc.code || tc.stdout != "" && stdout != tc.stdout {
			t.Fatalf("mdcli %q: exit %d, stdout %q, stderr %q; want %d, %q", tc.args, code, stdout, stderr, tc.code, tc.stdout)
		}
	}

	serve := func(service string, h workers.HandlerFunc) {
		w, err := workers.New([]string{ep}, service, workers.WithLogger(zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))))
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.Run(ctx, h); err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("worker %s: %v", service, err)
			}
		}()
	}
	serve("echo", func(_ context.Context, req *workers.Request) ([][]byte, error) { return req.Body, nil })
	serve("fails", func(context.Context, *workers.Request) ([][]byte, error) {
		return nil, workers.Errorf(500, "disk on fire")
	})
	for _, name := range []string{"echo", "fails"} {
		deadline := time.Now().Add(20 * time.Second)
		for code, _, _ := mdcli(t, b, "service", name); code != exitOK; code, _, _ = mdcli(t, b, "service", name) {
			if time.Now().After(deadline) {
				t.Fatalf("%s never registered", name)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for _, tc := range []struct {
		args     []string
		code     int
		stdout   string
		stderrIn string
	}{
		{[]string{b, "call", "echo", "a", "b"}, exitOK, "a\nb\n", ""},
		{[]string{b, "--json", "call", "echo", "a"}, exitOK, `{"service":"echo","encoding":"utf-8","frames":["a"]}` + "\n", ""},
		{[]string{b, "call", "fails"}, exitServiceError, "", "500"},
		{[]string{b, "--json", "call", "fails"}, exitServiceError, "", "disk on fire"},
		{[]string{b, "--timeout=300ms", "call", "nobody"}, exitTimeout, "", ""}, // or 504 from the broker
	} {
		code, stdout, stderr := mdcli(t, tc.args...)
		if code != tc.code || tc.stdout != "" && stdout != tc.stdout || !strings.Contains(stderr, tc.stderrIn) {
			t.Fatalf("mdcli %q: exit %d, stdout %q, stderr %q; want %d, %q, %q", tc.args, code, stdout, stderr, tc.code, tc.stdout, tc.stderrIn)
		}
	}
	code, stdout, _ := mdcli(t, b, "services")
	if code != exitOK || !strings.Contains(stdout, "echo ") || !strings.Contains(stdout, "fails ") {
		t.Fatalf("services: exit %d, %q", code, stdout)
	}
}
