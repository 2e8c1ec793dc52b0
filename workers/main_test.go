package workers

import (
	"context"
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if ep := os.Getenv(childWorkerEnv); ep != "" {
		os.Exit(runChildWorker(ep))
	}
	goleak.VerifyTestMain(m)
}

// awaitRelease blocks a test handler until the test releases it, or until
// its context ends (so that a failed test never leaves a handler behind).
func awaitRelease(ctx context.Context, release <-chan struct{}) {
	select {
	case <-release:
	case <-ctx.Done():
	}
}
