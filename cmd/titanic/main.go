// Command titanic runs Titanic (9/TSP, disk-backed reliable queueing) as a
// process of its own, beside a majordomo broker: a thin main around the
// titanic package. It reads flags and TITANIC_* environment variables
// (--max-bytes as TITANIC_MAX_BYTES; flags win), logs with zap, optionally
// serves /metrics, and stops on SIGTERM or SIGINT.
//
//	titanic --broker tcp://127.0.0.1:5555 --data /var/lib/titanic
//	TITANIC_MAX_BYTES=256MiB titanic --data ./tdata --admin 127.0.0.1:9556
//	titanic --data ./tdata --server-key broker.key.pub --key titanic.key   # a CURVE broker
//
// With --server-key and --key (else $MAJORDOMO_SERVER_KEY and
// $MAJORDOMO_KEY) its workers and dispatcher connect as CURVE clients; the
// broker's policy must let Titanic's key serve titanic.*, call the services
// it dispatches to, and use mmi (it asks mmi.service). An --admin address
// beyond loopback needs --admin-token-file or --admin-tls-cert,
// --admin-tls-key and --admin-client-ca (see internal/adminauth).
//
// (mdbroker --titanic DIR runs the same inside the broker's process.)
//
// Exit codes: 0 after a clean stop (or --help, --version), 1 when Titanic fails (a
// corrupt or locked store: it refuses to start), 2 for a bad flag or variable.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/internal/adminauth"
	"github.com/majordomo-go/majordomo/internal/daemonlog"
	"github.com/majordomo-go/majordomo/internal/version"
	"github.com/majordomo-go/majordomo/titanic"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal gets the default action
	}()
	os.Exit(run(ctx, os.Args[1:], os.Environ(), os.Stderr))
}

// run is titanic without the process: it returns the exit code.
func run(ctx context.Context, args, environ []string, stderr io.Writer) int {
	o, err := parseOptions(args, environ, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "titanic: %v\n", err)
		return 2
	case o.version:
		fmt.Println(version.Line("titanic"))
		return 0
	}
	log := daemonlog.New(o.logLevel, o.logFormat, stderr)
	defer log.Sync()
	o.cfg.Logger = log
	srv, err := titanic.New(o.cfg)
	if err != nil {
		log.Error("titanic cannot start", zap.Error(err))
		return 1
	}
	if o.admin != "" {
		stopAdmin, err := serveMetrics(o.admin, o.guard, srv, log)
		if err != nil {
			log.Error("titanic cannot start", zap.Error(err))
			srv.Close()
			return 1
		}
		defer stopAdmin()
	}
	if err := srv.Run(ctx); err != nil {
		log.Error("titanic failed", zap.Error(err))
		return 1
	}
	log.Info("titanic stopped")
	return 0
}

// serveMetrics serves /metrics on addr, behind guard, until the returned
// function is called.
func serveMetrics(addr string, guard *adminauth.Guard, srv *titanic.Server, log *zap.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	ln = guard.Listener(ln)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		srv.Stats().WritePrometheus(w)
	})
	hs := &http.Server{Handler: guard.Handler(mux), ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 10 * time.Second}
	go func() {
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin server failed", zap.Error(err))
		}
	}()
	log.Info("metrics served", zap.String("admin", ln.Addr().String()))
	return func() { hs.Close() }, nil
}

func envName(flagName string) string {
	return "TITANIC_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}
