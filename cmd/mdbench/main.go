// Command mdbench is a load generator for any MDP/0.1 broker (ours or the
// zguide's): C clients each keep W requests outstanding to an echo
// service served by M workers it runs itself, and it reports requests per
// second, errors, latency percentiles and, given the broker's PID, the
// broker's CPU time per request.
//
//	mdbroker &
//	mdbench --clients 16 --window 16 --workers 4 --size 64 --duration 10s --broker-pid $!
//
// Clients are raw MDP/0.1 DEALERs ("" · MDPC01 · service · body). With
// --capacity 1 (the default) the workers are raw MDP/0.1 workers (READY,
// REQUEST → REPLY, heartbeats every 2.5 s); with --capacity K above 1 they
// use majordomo's extension (MDPW02 XREADY declaring capacity K, XREQUEST
// → XFINAL), so the broker keeps K requests in flight on each worker.
// --workers 0 leaves the service to workers already running.
//
// The first 8 bytes of every body carry a slot and generation that match
// the reply to its send time; the rest must come back unchanged. A request
// unanswered after --timeout is counted lost and sent again. Errors
// (lost, stale, malformed or mismatched replies, send failures, workers
// the broker dropped) are counted and reported, never hidden. The first
// --warmup is not measured. Broker CPU is utime+stime from
// /proc/PID/stat, sampled at the start and end of the measured window.
//
// mdbench is cheap on purpose, so that it does not hide the broker: one
// goroutine owns all client sockets, another all worker sockets, all from
// one libzmq context; each waits in epoll on its sockets' ZMQ_FDs, parked
// in Go's netpoller, and looks only at the sockets that were signalled or
// used (zmq_poll would ask every socket every time); a message crosses cgo
// whole, in one call, and is read in libzmq's buffers (internal/zsock);
// bodies are reused and latencies go into a fixed histogram. Even so its
// cost per request is of the order of the broker's: both pay libzmq's
// per-message system calls and thread wake-ups.
//
// While it runs it prints a progress line every second on stderr, unless
// --json or --quiet: the phase, replies per second over that second, the
// errors counted so far (the sum the final report gives), the p99 of the
// measured window so far ("-" before it) and the requests outstanding:
//
//	mdbench    3.0s measuring     41234 req/s  errors 0  p99 412µs  outstanding 16
//
// Before it starts, it checks that a ZeroMQ peer listens at a tcp:// or
// ipc:// --broker: one plain connection that must bring the ZMTP signature
// within a second. A broker that is not running, or a port that is not a
// ZeroMQ peer's, is the error "mdbench: broker unreachable: ..." and exit
// code 3, not every request counted lost.
//
// --version prints the build (module version, or the commit it was built
// from) and exits.
//
// Exit codes: 0 a clean run, 1 the run counted errors or answered nothing,
// 2 usage, 3 it could not run (the broker unreachable, say).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/majordomo-go/majordomo/internal/version"
)

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if cfg.version {
		fmt.Println(version.Line("mdbench"))
		os.Exit(0)
	}
	cfg.progress = progressTo(cfg, os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	r, err := run(ctx, cfg, os.Stdout)
	stop()
	switch {
	case err != nil:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	case r.Errors > 0 || r.Requests == 0:
		os.Exit(1)
	}
}
