package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/workers"
)

// invocation is one mdcli run with a given stdin and environment.
type invocation struct {
	stdin  io.Reader
	env    map[string]string
	stdout io.Writer // default: a buffer returned by do
}

func (inv invocation) do(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	p := process{stdin: inv.stdin, stdout: &out, stderr: &errOut, getenv: func(k string) string { return inv.env[k] }}
	if p.stdin == nil {
		p.stdin = strings.NewReader("")
	}
	if inv.stdout != nil {
		p.stdout = inv.stdout
	}
	code = runIn(context.Background(), p, args)
	return code, out.String(), errOut.String()
}

// realBroker runs our broker and, for each handler, a worker of that
// service made with the workers SDK; it returns once they are registered.
// Workers stop before the broker.
func realBroker(t *testing.T, handlers map[string]workers.HandlerFunc) string {
	t.Helper()
	b := brokertest.Start(t, func(cfg *broker.Config) {
		cfg.DrainTimeout = 10 * time.Millisecond
		cfg.Logger = zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	for service, h := range handlers {
		w, err := workers.New([]string{b.Endpoint}, service, workers.WithLogger(zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))))
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
		brokertest.WaitFor(t, service+" to register", func() bool { return b.Workers(service) == 1 })
	}
	return b.Endpoint
}
