package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/majordomo-go/majordomo/clients"
)

// Exit codes.
const (
	exitOK           = 0
	exitServiceError = 1 // an error reply, or "service NAME" found no worker
	exitUsage        = 2
	exitTimeout      = 3
	exitFailure      = 4
)

const defaultBroker = "tcp://127.0.0.1:5555"

const usage = `usage: mdcli [flags] COMMAND [ARGS]

commands:
  call SERVICE [FRAME...]  send a request (one frame per argument), print the reply frames
  services                 list the broker's services
  service NAME             exit 0 if NAME has a worker, 1 if not
  titanic SUBCOMMAND ...   Titanic: submit, status, fetch, close (mdcli titanic for details)
  kv SUBCOMMAND ...        an mdkv store: put, get, del, cas, incr, scan, status (mdcli kv for details)

flags (before the command or right after it; every argument after SERVICE is a frame):
`

// config is what the flags say.
type config struct {
	brokers  []string
	timeout  time.Duration
	retries  int
	failFast bool
	json     bool
}

// attemptTimeout shares the whole call's time among its attempts.
func (c config) attemptTimeout() time.Duration {
	return c.timeout / time.Duration(c.retries+1)
}

type brokerList []string

func (b *brokerList) String() string     { return strings.Join(*b, ",") }
func (b *brokerList) Set(v string) error { *b = append(*b, v); return nil }

// run is mdcli without the process around it, for tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, cmd, rest, code := parseArgs(args, stderr)
	if cmd == "" {
		return code
	}
	opts := []clients.Option{
		clients.WithRetries(cfg.retries),
		clients.WithTimeout(cfg.attemptTimeout()),
	}
	if cfg.failFast {
		opts = append(opts, clients.WithFailFast())
	}
	c, err := clients.New(cfg.brokers, opts...)
	if err != nil {
		fmt.Fprintln(stderr, "mdcli:", err)
		return exitUsage
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	out := &output{json: cfg.json, stdout: stdout, stderr: stderr}
	switch cmd {
	case "call":
		return out.call(ctx, c.Request, rest[0], rest[1:])
	case "services":
		return out.services(c.Services(ctx))
	case "titanic":
		return runTitanic(ctx, c, rest, out)
	case "kv":
		return runKV(ctx, c, rest, out)
	default: // "service"
		ok, err := c.ServiceExists(ctx, rest[0])
		return out.service(rest[0], ok, err)
	}
}

// parseArgs reads the flags and the command. cmd is "" when run should
// return code at once (usage errors, or -h).
func parseArgs(args []string, stderr io.Writer) (cfg config, cmd string, rest []string, code int) {
	fs := flag.NewFlagSet("mdcli", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\nexit codes: 0 success, 1 error reply (or no such service), 2 usage, 3 timeout (or 504), 4 other failure")
	}
	var brokers brokerList
	fs.Var(&brokers, "broker", "broker endpoint; repeat for several, tried in turn (default "+defaultBroker+")")
	fs.DurationVar(&cfg.timeout, "timeout", 5*time.Second, "time for the whole call, retries included")
	fs.IntVar(&cfg.retries, "retries", clients.DefaultRetries, "re-sends after an attempt times out (each attempt gets timeout/(retries+1))")
	fs.BoolVar(&cfg.failFast, "fail-fast", false, "fail at once with 404 when the service has no worker")
	fs.BoolVar(&cfg.json, "json", false, "print results and errors as JSON on stdout")
	parse := func(a []string) bool {
		err := fs.Parse(a)
		if errors.Is(err, flag.ErrHelp) {
			code = exitOK
		} else if err != nil {
			code = exitUsage
		}
		return err == nil
	}
	if !parse(args) {
		return cfg, "", nil, code
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return cfg, "", nil, exitUsage
	}
	cmd = fs.Arg(0)
	if !parse(fs.Args()[1:]) {
		return cfg, "", nil, code
	}
	rest = fs.Args()
	cfg.brokers = brokers
	if len(cfg.brokers) == 0 {
		cfg.brokers = []string{defaultBroker}
	}
	bad := func(msg string) (config, string, []string, int) {
		fmt.Fprintln(stderr, "mdcli:", msg)
		fmt.Fprintln(stderr, "run mdcli -h for usage")
		return cfg, "", nil, exitUsage
	}
	switch {
	case cfg.timeout <= 0:
		return bad("--timeout must be positive")
	case cfg.retries < 0:
		return bad("--retries must not be negative")
	case cfg.attemptTimeout() < time.Millisecond:
		return bad(fmt.Sprintf("--timeout %v over %d attempts leaves less than 1ms for each", cfg.timeout, cfg.retries+1))
	case cmd == "call" && len(rest) == 0:
		return bad("call needs a SERVICE")
	case cmd == "service" && len(rest) != 1:
		return bad("service needs exactly one NAME")
	case cmd == "services" && len(rest) != 0:
		return bad("services takes no arguments")
	case cmd != "call" && cmd != "service" && cmd != "services" && cmd != "titanic" && cmd != "kv":
		return bad(fmt.Sprintf("unknown command %q", cmd))
	}
	return cfg, cmd, rest, exitOK
}
