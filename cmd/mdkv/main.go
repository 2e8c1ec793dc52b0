// Command mdkv runs one node of an mdkv store (package kv): a Raft member
// with its bbolt state machine, serving STORE.read and STORE.node.ID
// always and STORE.write while it leads, through one or more brokers.
//
//	mdkv --store kv --id a --data /var/lib/mdkv/a --raft 10.0.0.1:7000 \
//	     --broker tcp://10.0.0.9:5555 --peers a=10.0.0.1:7000,b=10.0.0.2:7000,c=10.0.0.3:7000
//
// Nodes started on empty data directories with the same --peers form a new
// cluster; a node restarted on its directory rejoins. Settings come from
// flags, MDKV_* environment variables and an optional --config file, in
// that order of precedence. On SIGTERM or SIGINT a leader hands leadership
// to another node, the workers drain, and mdkv exits 0; a second signal
// kills it at once. Behind a CURVE broker each node takes its own key:
// --server-key BROKER.pub --key NODE.key (else $MAJORDOMO_SERVER_KEY and
// $MAJORDOMO_KEY); the policy must let it serve and call STORE.*. An
// --admin address beyond loopback needs --admin-token-file or
// --admin-tls-cert, --admin-tls-key and --admin-client-ca. Exit codes: 0 after a clean stop (or --help, --version), 1 when
// the node fails (a corrupt data file, a port in use), 2 for a bad setting.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/majordomo-go/majordomo/internal/daemonlog"
	"github.com/majordomo-go/majordomo/internal/version"
	"github.com/majordomo-go/majordomo/kv"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal gets the default action
	}()
	os.Exit(run(ctx, os.Args[1:], environMap(os.Environ()), os.Stdout, os.Stderr))
}

// run is mdkv without the process: it returns the exit code.
func run(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) int {
	if slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "-help" || a == "--help" }) {
		printUsage(stderr)
		return 0
	}
	// --version is a command, not a setting (MDKV_VERSION is not read).
	if slices.ContainsFunc(args, func(a string) bool { return a == "-version" || a == "--version" }) {
		fmt.Fprintln(stdout, version.Line("mdkv"))
		return 0
	}
	o, unknownEnv, err := parseOptions(args, env)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stderr)
			return 0
		}
		fmt.Fprintf(stderr, "mdkv: %v\n", err)
		return 2
	}
	log := daemonlog.New(o.logLevel, o.logFormat, stderr)
	defer log.Sync()
	for _, name := range unknownEnv {
		log.Warn("environment variable names no setting; ignored (see mdkv -h)", zap.String("name", name))
	}
	o.cfg.Logger = log
	n, err := kv.Start(o.cfg)
	if err != nil {
		log.Error("mdkv failed to start", zap.Error(err))
		return 1
	}
	log.Info("mdkv started", zap.String("store", o.cfg.Store), zap.String("id", o.cfg.ID), zap.String("raft", o.cfg.RaftAddr))
	<-ctx.Done()
	log.Info("stopping: leadership transfer if leader, then drain", zap.Duration("drain_timeout", o.cfg.DrainTimeout))
	closeCtx, cancel := context.WithTimeout(context.Background(), o.cfg.DrainTimeout+10*time.Second)
	defer cancel()
	if err := n.Close(closeCtx); err != nil {
		log.Error("mdkv stopped with an error", zap.Error(err))
		return 1
	}
	log.Info("mdkv stopped")
	return 0
}
