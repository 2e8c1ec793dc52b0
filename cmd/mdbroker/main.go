// Command mdbroker is the majordomo broker daemon: a thin main around the
// broker package. It reads flags, MDBROKER_* environment variables and an
// optional config file into broker.Config, logs with zap, serves a status
// page (/, /service, /api/status), /metrics (the broker's, process_* and
// go_*), /livez, /readyz and POST /handover (loopback peers only) over
// HTTP, and
// on SIGTERM or SIGINT drains: new
// requests are refused, requests in flight may finish within
// --drain-timeout, workers get DISCONNECT, and it exits 0. A second signal
// kills it at once.
//
//	mdbroker                                   # tcp://127.0.0.1:5555, admin on 127.0.0.1:9555
//	mdbroker --bind tcp://0.0.0.0:5555 --log-format json
//	MDBROKER_HEARTBEAT=1s mdbroker --config /etc/mdbroker.conf
//	mdbroker --service 'ledger:mode=exclusive,deadline=5s' --service 'geo:mode=strict,max-tier=3'
//	mdbroker --bind tcp://0.0.0.0:5555 --curve-key broker.key --policy broker.acl --client-max-inflight 100
//
// With --curve-key every endpoint is a CURVE server and a ZAP handler in the
// process checks each client's and worker's key against the --policy file
// (format in spec/security.md), which SIGHUP reloads without dropping
// connections. A plain endpoint bound beyond loopback is logged at warn.
//
// Exit codes: 0 after a clean stop (or --version, --help), 1 when the broker
// fails (a port in use, say), 2 for a bad flag, variable or config file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/majordomo-go/majordomo/internal/daemonlog"
	"github.com/majordomo-go/majordomo/internal/version"
	"go.uber.org/zap"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal gets the default action: exit at once
	}()
	os.Exit(run(ctx, os.Args[1:], environMap(os.Environ()), os.Stdout, os.Stderr))
}

// run is mdbroker without the process: it returns the exit code.
func run(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) int {
	o, unknownEnv, err := parseOptions(args, env, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "mdbroker: %v\n", err)
		return 2
	case o.version:
		fmt.Fprintln(stdout, versionString())
		return 0
	}
	log := daemonlog.New(o.logLevel, o.logFormat, stderr)
	defer log.Sync()
	for _, name := range unknownEnv {
		log.Warn("environment variable names no setting; ignored (see mdbroker -h)", zap.String("name", name))
	}
	stopped := context.AfterFunc(ctx, func() { log.Info("stopping: draining requests in flight", zap.Duration("timeout", o.cfg.DrainTimeout)) })
	defer stopped()
	if err := serve(ctx, o, log); err != nil {
		log.Error("mdbroker failed", zap.Error(err))
		return 1
	}
	log.Info("mdbroker stopped")
	return 0
}

func versionString() string { return version.Line("mdbroker") }
