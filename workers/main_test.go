package workers

import (
	"context"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if ep := os.Getenv(childWorkerEnv); ep != "" {
		os.Exit(runChildWorker(ep))
	}
	goleak.VerifyTestMain(m)
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline (CI machines are loaded; the deadline is not a speed claim).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// receive takes a value from ch, failing the test after a generous deadline.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// awaitRelease blocks a test handler until the test releases it, or until
// its context ends (so that a failed test never leaves a handler behind).
func awaitRelease(ctx context.Context, release <-chan struct{}) {
	select {
	case <-release:
	case <-ctx.Done():
	}
}
