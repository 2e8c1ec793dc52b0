package workers_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/internal/curvekey"
	"github.com/majordomo-go/majordomo/internal/mdptest"
	"github.com/majordomo-go/majordomo/workers"
)

// curveWait polls cond for up to 20 s (a loaded CI machine).
func curveWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

var upper = workers.HandlerFunc(func(_ context.Context, req *workers.Request) ([][]byte, error) {
	return [][]byte{append([]byte("served "), req.Body[0]...)}, nil
})

// runCurveWorker runs w until the test ends and returns Run's result.
func runCurveWorker(t *testing.T, w *workers.Worker) <-chan error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- w.Run(ctx, upper)
		close(done) // for the cleanup, once the test has taken the result
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("worker did not stop")
		}
	})
	return done
}

func curveWorkerOpt(b *mdptest.CurveBroker, p mdptest.CurvePair) workers.Option {
	return workers.WithCurve(b.Keys.Public.String(), p.Public.String(), p.Secret.String())
}

// A worker with an allowed key registers with a CURVE broker and serves a
// CURVE client's request through it; the broker saw the worker's and the
// client's messages under their own keys.
func TestCurveWorkerServesThroughCurveBroker(t *testing.T) {
	wk, ck := mdptest.NewCurvePair(t), mdptest.NewCurvePair(t)
	b := mdptest.StartCurve(t, wk.Public, ck.Public)
	w, err := workers.New([]string{b.Endpoint}, "svc", curveWorkerOpt(b, wk), workers.WithHeartbeat(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	runCurveWorker(t, w)
	curveWait(t, "the worker's registration", b.HasWorker)
	c, err := clients.New([]string{b.Endpoint}, clients.WithCurve(b.Keys.Public.String(), ck.Public.String(), ck.Secret.String()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got, err := c.Request(ctx, "svc", []byte("x"))
	if err != nil || len(got) != 1 || string(got[0]) != "served x" {
		t.Fatalf("Request = %q, %v", got, err)
	}
	if b.Served() != 1 || b.From(wk.Public) == 0 || b.From(ck.Public) == 0 || len(b.Senders()) != 2 {
		t.Fatalf("served %d; senders %v", b.Served(), b.Senders())
	}
}

// A worker whose key the broker refuses never registers and nothing of it
// reaches the broker: it is unreachable to the worker, which warns that
// the broker is silent (with the CURVE hint) and, with
// WithExitWhenUnreachable, stops with ErrUnreachable.
func TestCurveRefusedWorkerUnreachable(t *testing.T) {
	wk, other := mdptest.NewCurvePair(t), mdptest.NewCurvePair(t)
	b := mdptest.StartCurve(t, other.Public)
	core, logs := observer.New(zapcore.WarnLevel)
	w, err := workers.New([]string{b.Endpoint}, "svc", curveWorkerOpt(b, wk),
		workers.WithHeartbeat(20*time.Millisecond), workers.WithReconnect(10*time.Millisecond, 20*time.Millisecond),
		workers.WithUnreachableTimeout(300*time.Millisecond), workers.WithExitWhenUnreachable(),
		workers.WithLogger(zap.New(core)))
	if err != nil {
		t.Fatal(err)
	}
	done := runCurveWorker(t, w)
	select {
	case err := <-done:
		if !errors.Is(err, workers.ErrUnreachable) {
			t.Fatalf("Run = %v; want ErrUnreachable", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not stop")
	}
	if b.HasWorker() || b.From(wk.Public) != 0 || b.Refused() == 0 {
		t.Fatalf("registered %v, %d messages from the refused key, %d refusals", b.HasWorker(), b.From(wk.Public), b.Refused())
	}
	hinted := 0
	for _, e := range logs.FilterMessage("broker silent, reconnecting").All() {
		if e.ContextMap()["public_key"] == wk.Public.String() {
			hinted++
		}
	}
	if hinted == 0 {
		t.Fatalf("no CURVE hint in the warnings: %v", logs.All())
	}
}

// A worker given two brokers registers with the one that lets its key in
// and is refused by the other, which gets nothing from it.
func TestCurveWorkerRefusedByOneBroker(t *testing.T) {
	wk, other := mdptest.NewCurvePair(t), mdptest.NewCurvePair(t)
	keys := mdptest.NewCurvePair(t)
	refusing := mdptest.StartCurveKeyed(t, keys, other.Public)
	accepting := mdptest.StartCurveKeyed(t, keys, wk.Public)
	w, err := workers.New([]string{refusing.Endpoint, accepting.Endpoint}, "svc", curveWorkerOpt(accepting, wk),
		workers.WithHeartbeat(20*time.Millisecond), workers.WithReconnect(10*time.Millisecond, 20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	runCurveWorker(t, w)
	curveWait(t, "registration at the accepting broker", accepting.HasWorker)
	curveWait(t, "a refusal at the other", func() bool { return refusing.Refused() > 0 })
	if refusing.HasWorker() || refusing.From(wk.Public) != 0 {
		t.Fatalf("the refusing broker got %d messages from the worker", refusing.From(wk.Public))
	}
}

// Bad keys and exposed key files are errors from New.
func TestCurveWorkerBadKeys(t *testing.T) {
	a, b := mdptest.NewCurvePair(t), mdptest.NewCurvePair(t)
	dir := t.TempDir()
	secret := filepath.Join(dir, "w.key")
	if _, err := curvekey.Generate(secret); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(secret, 0o604); err != nil {
		t.Fatal(err)
	}
	for name, opt := range map[string][]workers.Option{
		"short server key": {workers.WithCurve("short", a.Public.String(), a.Secret.String())},
		"mismatched pair":  {workers.WithCurve(b.Public.String(), a.Public.String(), b.Secret.String())},
		"twice": {workers.WithCurve(b.Public.String(), a.Public.String(), a.Secret.String()),
			workers.WithCurveKeyFiles(curvekey.PublicPath(secret), secret)},
		"exposed secret": {workers.WithCurveKeyFiles(curvekey.PublicPath(secret), secret)},
	} {
		_, err := workers.New([]string{"tcp://127.0.0.1:1"}, "svc", opt...)
		if !errors.Is(err, workers.ErrInvalidOption) {
			t.Errorf("%s: New = %v; want ErrInvalidOption", name, err)
		}
		if name == "exposed secret" && !errors.Is(err, curvekey.ErrExposed) {
			t.Errorf("exposed secret: %v; want ErrExposed", err)
		}
	}
}
