package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/majordomo-go/majordomo/internal/curveclient"
	"github.com/majordomo-go/majordomo/internal/curveflags"

	"github.com/majordomo-go/majordomo/mdp"
)

// tokenLen is the part of every request body that carries its token: the
// slot (uint32) and generation (uint32) that match a reply to its send time.
const tokenLen = 8

// maxSize bounds --size; the broker's default message limit is 16 MiB.
const maxSize = 16 << 20

// heartbeat is the interval our workers heartbeat at and, in capacity mode,
// declare in XREADY; liveness intervals of silence from the broker make a
// worker register again on a new socket. These are the reference values.
const (
	heartbeat = 2500 * time.Millisecond
	liveness  = 3
)

// config is what the flags say.
type config struct {
	broker    string
	clients   int           // C client sockets
	window    int           // W requests outstanding per client
	workers   int           // M worker sockets; 0: external workers serve the service
	capacity  int           // K: 1 is plain MDP/0.1 workers, above 1 extension workers (XREADY capacity K)
	size      int           // S bytes per request body
	duration  time.Duration // measured time
	warmup    time.Duration // time before measuring, not counted
	timeout   time.Duration // a request without a reply after this long is lost (and sent again)
	service   string
	brokerPID int // 0: do not measure the broker's CPU
	json      bool
	quiet     bool // no progress lines
	version   bool // print the version and exit
	sdk       bool // clients and workers through the SDKs (sdk.go)

	curve     curveflags.Files  // --server-key, --key (and their env)
	curveKeys *curveclient.Keys // loaded from curve; nil: plain connections

	// progress receives a progress line every progressEvery while the
	// clients run (main: stderr unless --json or --quiet); nil: none.
	progress      io.Writer
	progressEvery time.Duration
}

func defaultConfig() config {
	return config{
		broker:   "tcp://127.0.0.1:5555",
		clients:  1,
		window:   1,
		workers:  1,
		capacity: 1,
		size:     64,
		duration: 10 * time.Second,
		warmup:   time.Second,
		timeout:  5 * time.Second,
		service:  "mdbench.echo",

		progressEvery: progressInterval,
	}
}

// parseFlags reads args (and the environment, for what curveflags reads)
// into a config and validates it. -h gives flag.ErrHelp.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	return parseFlagsEnv(args, stderr, os.Getenv)
}

// parseFlagsEnv is parseFlags with the environment given.
func parseFlagsEnv(args []string, stderr io.Writer, getenv func(string) string) (config, error) {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("mdbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mdbench [flags]\n\nflags:")
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.broker, "broker", cfg.broker, "broker endpoint")
	fs.IntVar(&cfg.clients, "clients", cfg.clients, "client sockets (C)")
	fs.IntVar(&cfg.window, "window", cfg.window, "requests each client keeps outstanding (W)")
	fs.IntVar(&cfg.workers, "workers", cfg.workers, "echo worker sockets (M); 0 when workers for --service already run")
	fs.IntVar(&cfg.capacity, "capacity", cfg.capacity, "requests in flight per worker (K): 1 = plain MDP/0.1 workers, more = extension workers (XREADY)")
	fs.IntVar(&cfg.size, "size", cfg.size, fmt.Sprintf("request body bytes (S), at least %d", tokenLen))
	fs.DurationVar(&cfg.duration, "duration", cfg.duration, "measured time")
	fs.DurationVar(&cfg.warmup, "warmup", cfg.warmup, "time before measuring, not counted")
	fs.DurationVar(&cfg.timeout, "timeout", cfg.timeout, "a request unanswered this long is counted lost and sent again")
	fs.StringVar(&cfg.service, "service", cfg.service, "service name")
	fs.IntVar(&cfg.brokerPID, "broker-pid", 0, "broker process ID, to report its CPU time per request")
	fs.BoolVar(&cfg.json, "json", false, "print one JSON line (and no progress lines)")
	fs.BoolVar(&cfg.quiet, "quiet", false, "no progress line on stderr every second")
	fs.BoolVar(&cfg.version, "version", false, "print the version and exit")
	fs.BoolVar(&cfg.sdk, "sdk", false, "clients through clients.Client and workers through workers.Worker (the SDKs), same report")
	cfg.curve.Register(fs)
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if cfg.version {
		return cfg, nil
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("mdbench: unexpected arguments %q", fs.Args())
	}
	if err := cfg.loadCurve(getenv); err != nil {
		return cfg, err
	}
	return cfg, cfg.validate()
}

// validate reports every value out of range.
func (c config) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("mdbench: "+format, args...)) }
	if c.broker == "" {
		bad("empty --broker")
	}
	if c.clients < 1 || c.window < 1 {
		bad("--clients %d and --window %d must be at least 1", c.clients, c.window)
	}
	if c.clients > 0 && c.window > math.MaxInt32/c.clients {
		bad("--clients × --window is too large")
	}
	if c.workers < 0 {
		bad("--workers %d is negative", c.workers)
	}
	if c.capacity < 1 || c.capacity > math.MaxUint16 {
		bad("--capacity %d is not in 1..%d", c.capacity, math.MaxUint16)
	}
	if c.size < tokenLen || c.size > maxSize {
		bad("--size %d is not in %d..%d", c.size, tokenLen, maxSize)
	}
	if c.duration <= 0 {
		bad("--duration %v must be positive", c.duration)
	}
	if c.warmup < 0 {
		bad("--warmup %v is negative", c.warmup)
	}
	if c.timeout <= 0 {
		bad("--timeout %v must be positive", c.timeout)
	}
	if err := mdp.ValidateWorkerService(c.service); err != nil {
		bad("--service: %v", err)
	}
	if c.progressEvery <= 0 {
		bad("progress interval %v must be positive", c.progressEvery)
	}
	if c.brokerPID < 0 {
		bad("--broker-pid %d is negative", c.brokerPID)
	}
	return errors.Join(errs...)
}
