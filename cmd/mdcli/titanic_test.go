package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/titanic"
	"github.com/majordomo-go/majordomo/workers"
)

// titanicBroker runs a broker with Titanic (store bounded to maxBytes) and,
// when echo is set, an echo worker, until the test ends.
func titanicBroker(t *testing.T, maxBytes int64, echo bool) string {
	t.Helper()
	b := brokertest.Start(t, func(c *broker.Config) { c.HeartbeatInterval = 50 * time.Millisecond })
	srv, err := titanic.New(titanic.Config{Broker: b.Endpoint, Dir: t.TempDir(), MaxBytes: maxBytes,
		Heartbeat: 50 * time.Millisecond, ProbeInterval: 20 * time.Millisecond, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- srv.Run(ctx) }()
	n := 1
	if echo {
		n++
		w, err := workers.New([]string{b.Endpoint}, "echo", workers.WithHeartbeat(50*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			done <- w.Run(ctx, workers.HandlerFunc(func(_ context.Context, r *workers.Request) ([][]byte, error) { return r.Body, nil }))
		}()
		brokertest.WaitFor(t, "echo registered", func() bool { return b.Workers("echo") == 1 })
	}
	t.Cleanup(func() {
		cancel()
		for range n {
			<-done
		}
	})
	brokertest.WaitFor(t, "titanic registered", func() bool {
		return b.Workers(mdp.TitanicRequest) == 1 && b.Workers(mdp.TitanicReply) == 1 && b.Workers(mdp.TitanicClose) == 1
	})
	return b.Endpoint
}

func runMdcli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestTitanicSubmitStatusFetchClose(t *testing.T) {
	ep := titanicBroker(t, 0, true)
	code, out, errs := runMdcli(t, "--broker", ep, "titanic", "submit", "echo", "hello", "world")
	id := strings.TrimSpace(out)
	if code != exitOK || len(id) != 32 {
		t.Fatalf("submit: %d %q %q", code, out, errs)
	}
	if code, out, errs := runMdcli(t, "--broker", ep, "titanic", "fetch", "--wait", id); code != exitOK || out != "hello\nworld\n" {
		t.Fatalf("fetch --wait: %d %q %q", code, out, errs)
	}
	if code, out, _ := runMdcli(t, "--broker", ep, "titanic", "status", id); code != exitOK || out != "done\n" {
		t.Fatalf("status: %d %q", code, out)
	}
	if code, out, _ := runMdcli(t, "--broker", ep, "--json", "titanic", "status", id); code != exitOK || !strings.Contains(out, `"state":"done"`) {
		t.Fatalf("status --json: %d %q", code, out)
	}
	if code, _, errs := runMdcli(t, "--broker", ep, "titanic", "close", id); code != exitOK {
		t.Fatalf("close: %d %q", code, errs)
	}
	if code, out, _ := runMdcli(t, "--broker", ep, "titanic", "status", id); code != exitServiceError || out != "unknown\n" {
		t.Fatalf("status after close: %d %q", code, out)
	}
	if code, _, errs := runMdcli(t, "--broker", ep, "titanic", "fetch", id); code != exitServiceError || !strings.Contains(errs, "400") {
		t.Fatalf("fetch after close: %d %q", code, errs)
	}
}

func TestTitanicPendingExpiredAndFull(t *testing.T) {
	ep := titanicBroker(t, 8192, false)
	_, out, _ := runMdcli(t, "--broker", ep, "titanic", "submit", "nobody", "x")
	id := strings.TrimSpace(out)
	if code, out, _ := runMdcli(t, "--broker", ep, "titanic", "status", id); code != exitOK || out != "pending\n" {
		t.Fatalf("status: %d %q", code, out)
	}
	if code, _, errs := runMdcli(t, "--broker", ep, "titanic", "fetch", id); code != exitTimeout || !strings.Contains(errs, "300") {
		t.Fatalf("fetch of a pending request: %d %q", code, errs)
	}
	if code, _, _ := runMdcli(t, "--broker", ep, "--timeout", "300ms", "titanic", "fetch", "--wait", id); code != exitTimeout {
		t.Fatalf("fetch --wait past --timeout: %d", code)
	}
	_, out, _ = runMdcli(t, "--broker", ep, "titanic", "submit", "--ttl", "50ms", "nobody", "y")
	short := strings.TrimSpace(out)
	brokertest.WaitFor(t, "expired", func() bool {
		code, out, _ := runMdcli(t, "--broker", ep, "titanic", "status", short)
		return code == exitServiceError && out == "failed (expired)\n"
	})
	code, _, errs := runMdcli(t, "--broker", ep, "titanic", "submit", "nobody", strings.Repeat("z", 9000))
	if code != exitServiceError || !strings.Contains(errs, "503 store full") {
		t.Fatalf("submit to a full store: %d %q", code, errs)
	}
}

func TestTitanicUsage(t *testing.T) {
	for _, args := range [][]string{
		{"titanic"},
		{"titanic", "submit"},
		{"titanic", "status"},
		{"titanic", "status", "not-a-uuid"},
		{"titanic", "close", "0123456789abcdef0123456789abcdef", "extra"},
		{"titanic", "status", "--wait", "0123456789abcdef0123456789abcdef"},
		{"titanic", "submit", "--ttl", "-1s", "echo"},
		{"titanic", "frobnicate"},
	} {
		if code, _, errs := runMdcli(t, append([]string{"--broker", "tcp://127.0.0.1:1"}, args...)...); code != exitUsage || !strings.Contains(errs, "usage") {
			t.Errorf("%q: exit %d, %q; want usage (2)", args, code, errs)
		}
	}
}

func TestTitanicSubmitFramesFromStdinAndFiles(t *testing.T) {
	ep := titanicBroker(t, 0, true)
	file := filepath.Join(t.TempDir(), "frame")
	if err := os.WriteFile(file, []byte("from a file"), 0o600); err != nil {
		t.Fatal(err)
	}
	inv := invocation{stdin: strings.NewReader("piped in")}
	code, out, errs := inv.do(t, "--broker", ep, "titanic", "submit", "echo", "-", "@"+file, "@@x")
	id := strings.TrimSpace(out)
	if code != exitOK || len(id) != 32 {
		t.Fatalf("submit: %d %q %q", code, out, errs)
	}
	if code, out, errs := runMdcli(t, "--broker", ep, "titanic", "fetch", "--wait", id); code != exitOK || out != "piped in\nfrom a file\n@x\n" {
		t.Fatalf("fetch --wait: %d %q %q", code, out, errs)
	}
	if code, _, errs := runMdcli(t, "--broker", ep, "titanic", "submit", "echo", "@/nonexistent/frame"); code != exitUsage || !strings.Contains(errs, "/nonexistent/frame") {
		t.Fatalf("missing file: %d %q", code, errs)
	}
}
