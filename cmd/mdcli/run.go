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
	"github.com/majordomo-go/majordomo/internal/curveflags"
	"github.com/majordomo-go/majordomo/internal/version"
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

// config is what the flags say.
type config struct {
	brokers     []string
	brokersFrom string // "--broker", "$MAJORDOMO_BROKER" or "default broker"
	timeout     time.Duration
	retries     int
	failFast    bool
	json        bool
	version     bool
	curve       curveflags.Files // --server-key, --key (and their env)
}

// attemptTimeout shares the whole call's time among its attempts.
func (c config) attemptTimeout() time.Duration {
	return c.timeout / time.Duration(c.retries+1)
}

type brokerList []string

func (b *brokerList) String() string     { return strings.Join(*b, ",") }
func (b *brokerList) Set(v string) error { *b = append(*b, v); return nil }

// process is what mdcli reads and writes besides its arguments.
type process struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// run is mdcli without stdin or environment variables, for tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runIn(ctx, process{stdin: strings.NewReader(""), stdout: stdout, stderr: stderr,
		getenv: func(string) string { return "" }}, args)
}

// runIn is mdcli without the process around it.
func runIn(ctx context.Context, p process, args []string) int {
	cfg, cmd, rest, code := parseArgs(args, p.stderr, p.getenv)
	switch {
	case cfg.version && cmd == "":
		fmt.Fprintln(p.stdout, version.Line("mdcli"))
		return exitOK
	case cmd == "":
		return code
	case cmd == "completion":
		return printCompletion(p.stdout, p.stderr, rest[0])
	case cmd == "keygen":
		return keygen(p.stdout, p.stderr, cfg.json, rest[0])
	}
	out := &output{json: cfg.json, stdout: p.stdout, stderr: p.stderr}
	var body [][]byte
	if cmd == "call" || cmd == "stream" {
		var err error
		if body, err = readFrames(rest[1:], p.stdin); err != nil {
			fmt.Fprintln(p.stderr, "mdcli:", err)
			return exitUsage
		}
	}
	c, err := newClient(cfg)
	if err != nil {
		fmt.Fprintf(p.stderr, "mdcli: %s: %v\n", cfg.brokersFrom, err)
		return exitUsage
	}
	defer c.Close()
	out.explain = explainer(ctx, cfg.brokers, cfg.curve.ClientOptions()...)
	out.brokers = cfg.brokers
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	switch cmd {
	case "call":
		return out.call(ctx, c.Request, rest[0], body)
	case "stream":
		return out.stream(ctx, c.Stream, rest[0], body)
	case "services":
		return out.services(ctx, c.Request)
	case "workers":
		return out.workers(ctx, c.Request, rest[0])
	case "titanic":
		return runTitanic(ctx, c, rest, p.stdin, out)
	case "kv":
		return runKV(ctx, c, rest, out)
	default: // "service"
		ok, err := c.ServiceExists(ctx, rest[0])
		return out.service(rest[0], ok, err)
	}
}

// newClient is the client the flags ask for.
func newClient(cfg config) (*clients.Client, error) {
	opts := []clients.Option{
		clients.WithRetries(cfg.retries),
		clients.WithTimeout(cfg.attemptTimeout()),
	}
	if cfg.failFast {
		opts = append(opts, clients.WithFailFast())
	}
	opts = append(opts, cfg.curve.ClientOptions()...)
	return clients.New(cfg.brokers, opts...)
}

// parseArgs reads the flags and the command. cmd is "" when run should
// return code at once (usage errors, -h, or --version: cfg.version).
func parseArgs(args []string, stderr io.Writer, getenv func(string) string) (cfg config, cmd string, rest []string, code int) {
	var brokers brokerList
	fs := newFlagSet(&cfg, &brokers)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	parse := func(a []string) bool {
		err := fs.Parse(a)
		switch {
		case errors.Is(err, flag.ErrHelp):
			fmt.Fprint(stderr, usageText(fs))
			code = exitOK
		case err != nil:
			fmt.Fprintln(stderr, "mdcli:", err)
			fmt.Fprintln(stderr, "run mdcli -h for usage")
			code = exitUsage
		}
		return err == nil
	}
	if !parse(args) {
		return cfg, "", nil, code
	}
	if fs.NArg() == 0 && !cfg.version {
		fmt.Fprint(stderr, usageText(fs))
		return cfg, "", nil, exitUsage
	}
	if fs.NArg() > 0 {
		cmd = fs.Arg(0)
		if !parse(fs.Args()[1:]) {
			return cfg, "", nil, code
		}
		rest = fs.Args()
	}
	if cfg.version {
		return cfg, "", nil, exitOK
	}
	bad := func(msg string) (config, string, []string, int) {
		fmt.Fprintln(stderr, "mdcli:", msg)
		fmt.Fprintln(stderr, "run mdcli -h for usage")
		return cfg, "", nil, exitUsage
	}
	var err error
	if cfg.brokers, cfg.brokersFrom, err = brokerEndpoints(brokers, getenv(brokerEnv)); err != nil {
		return bad(err.Error())
	}
	c, known := lookupCommand(cmd)
	switch {
	case cfg.timeout <= 0:
		return bad("--timeout must be positive")
	case cfg.retries < 0:
		return bad("--retries must not be negative")
	case cfg.attemptTimeout() < time.Millisecond:
		return bad(fmt.Sprintf("--timeout %v over %d attempts leaves less than 1ms for each", cfg.timeout, cfg.retries+1))
	case !known:
		return bad(fmt.Sprintf("unknown command %q", cmd))
	case c.check != nil && c.check(rest) != "":
		return bad(c.check(rest))
	}
	if !c.offline {
		cfg.curve = cfg.curve.WithEnv(getenv)
		if err := cfg.curve.Check(); err != nil {
			return bad(err.Error())
		}
	}
	return cfg, cmd, rest, exitOK
}

// brokerEndpoints is the --broker list, else the comma-separated list in
// the environment variable, else the default; from says which.
func brokerEndpoints(flags []string, env string) (list []string, from string, err error) {
	if len(flags) > 0 {
		return flags, "--broker", nil
	}
	if strings.TrimSpace(env) == "" {
		return []string{defaultBroker}, "default broker", nil
	}
	for _, e := range strings.Split(env, ",") {
		if e = strings.TrimSpace(e); e != "" {
			list = append(list, e)
		}
	}
	if len(list) == 0 {
		return nil, "", fmt.Errorf("%s=%q names no broker", brokerEnv, env)
	}
	return list, "$" + brokerEnv, nil
}
