// Command worker serves the "echo" service: it answers every request with
// its own body, after streaming one PARTIAL reply per frame. Ctrl-C drains:
// requests in flight are answered before it exits.
//
//	go run ./examples/echo/worker -broker tcp://127.0.0.1:5555
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/workers"
)

func main() {
	broker := flag.String("broker", "tcp://127.0.0.1:5555", "broker endpoint")
	service := flag.String("service", "echo", "service name")
	concurrency := flag.Int("concurrency", 4, "requests served at once")
	flag.Parse()
	if err := run(*broker, *service, *concurrency); err != nil {
		fmt.Fprintln(os.Stderr, "echo worker:", err)
		os.Exit(1)
	}
}

func run(broker, service string, concurrency int) error {
	log, err := newLogger()
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	w, err := workers.New([]string{broker}, service, workers.WithConcurrency(concurrency), workers.WithLogger(log))
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Info("serving", zap.String("service", service), zap.String("broker", broker))
	return w.Run(ctx, workers.HandlerFunc(echo))
}

// newLogger is zap's development logger (readable lines, debug and up)
// without its stack traces: a warning such as "broker silent, reconnecting"
// is one line, not a screenful.
func newLogger() (*zap.Logger, error) {
	cfg := zap.NewDevelopmentConfig()
	cfg.DisableStacktrace = true
	return cfg.Build()
}

// echo streams each body frame as a PARTIAL reply, then answers with the
// whole body. An empty request is an error with status 400.
func echo(_ context.Context, req *workers.Request) ([][]byte, error) {
	if len(req.Body) == 0 {
		return nil, workers.Errorf(400, "nothing to echo")
	}
	for _, frame := range req.Body {
		if err := req.Partial(frame); err != nil {
			return nil, err
		}
	}
	return req.Body, nil
}
