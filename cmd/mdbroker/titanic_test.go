package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"

	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/titanic"
	"github.com/majordomo-go/majordomo/workers"
)

// plainCall is one MDP/0.1 request on a REQ socket, as the zguide's clients make it.
func plainCall(t *testing.T, s *zmq.Socket, service string, body ...string) []string {
	t.Helper()
	if _, err := s.SendMessage(append([]string{mdp.HeaderClient01, service}, body...)); err != nil {
		t.Fatal(err)
	}
	poller := zmq.NewPoller()
	poller.Add(s, zmq.POLLIN)
	if polled, err := poller.Poll(waitLong); err != nil || len(polled) == 0 {
		t.Fatalf("%s: no reply (%v)", service, err)
	}
	r, err := s.RecvMessage(0)
	if err != nil || len(r) < 3 {
		t.Fatalf("%s: %q, %v", service, r, err)
	}
	return r[2:]
}

// --titanic DIR: Titanic runs in the broker's process, on its endpoint, and
// its metrics are on /metrics.
func TestTitanicInsideBroker(t *testing.T) {
	var logs logBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	code := make(chan int, 1)
	args := append(append([]string{}, testArgs...), "--titanic", dir, "--titanic-max-bytes", "1MiB")
	go func() { code <- run(ctx, args, nil, io.Discard, &logs) }()
	ep, admin := logs.started(t)

	w, err := workers.New([]string{ep}, "echo", workers.WithHeartbeat(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithCancel(context.Background())
	wdone := make(chan error, 1)
	go func() {
		wdone <- w.Run(wctx, workers.HandlerFunc(func(_ context.Context, r *workers.Request) ([][]byte, error) { return r.Body, nil }))
	}()
	defer func() { wcancel(); <-wdone }()

	c := brokertest.Dial(t, ep, zmq.REQ)
	r := plainCall(t, c, mdp.TitanicRequest, "echo", "hello")
	if len(r) != 2 || r[0] != "200" || len(r[1]) != 32 {
		t.Fatalf("titanic.request: %q", r)
	}
	id := r[1]
	brokertest.WaitFor(t, "reply stored", func() bool { return plainCall(t, c, mdp.TitanicReply, id)[0] == "200" })
	if r := plainCall(t, c, mdp.TitanicReply, id); strings.Join(r, "|") != "200|hello" {
		t.Fatalf("titanic.reply: %q", r)
	}
	if scrapeMetrics(t, admin)["mdbroker_workers"] == nil {
		t.Error("/metrics lacks the broker's families")
	}
	for name, want := range map[string]float64{"titanic_requests_stored_total": 1, "titanic_replied_total": 1,
		"titanic_store_max_bytes": 1 << 20} {
		if !metricIs(t, admin, want, name) {
			t.Errorf("/metrics: %s is not %v", name, want)
		}
	}
	if _, ok := metricValue(t, admin, "titanic_store_commit_seconds"); !ok {
		t.Error("/metrics lacks titanic_store_commit_seconds")
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
}

// A corrupt store: mdbroker refuses to start (exit 1) and says why.
func TestTitanicCorruptStoreRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, titanic.StoreFile), []byte(strings.Repeat("junk", 4096)), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	if got := run(context.Background(), append(append([]string{}, testArgs...), "--titanic", dir), nil, io.Discard, &logs); got != 1 {
		t.Fatalf("exit code %d, want 1; logs:\n%s", got, logs.String())
	}
	if !strings.Contains(logs.String(), "store is corrupt") {
		t.Fatalf("no clear error in the logs:\n%s", logs.String())
	}
}

func TestConnectable(t *testing.T) {
	for in, want := range map[string]string{
		"tcp://0.0.0.0:5555":    "tcp://127.0.0.1:5555",
		"tcp://*:5555":          "tcp://127.0.0.1:5555",
		"tcp://[::]:5555":       "tcp://[::1]:5555",
		"tcp://127.0.0.1:41234": "tcp://127.0.0.1:41234",
		"ipc:///tmp/mdbroker":   "ipc:///tmp/mdbroker",
	} {
		if got := connectable(in); got != want {
			t.Errorf("connectable(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTitanicMaxBytesTooSmallIsUsage(t *testing.T) {
	var stderr strings.Builder
	if code := run(context.Background(), []string{"--titanic", t.TempDir(), "--titanic-max-bytes", "100"}, nil, io.Discard, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), "titanic max bytes") {
		t.Fatalf("exit %d, %q; want 2 and the reason", code, stderr.String())
	}
}
