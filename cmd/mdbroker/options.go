package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/majordomo-go/majordomo/broker"
)

// envPrefix names the environment variables: --queue-limit is
// MDBROKER_QUEUE_LIMIT.
const envPrefix = "MDBROKER_"

// options is everything mdbroker can be told.
type options struct {
	cfg        broker.Config
	admin      string
	logLevel   string
	logFormat  string
	configFile string
	version    bool
}

// flagSet declares every flag, bound to o, with the defaults in o.
func (o *options) flagSet(out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("mdbroker", flag.ContinueOnError)
	fs.SetOutput(out)
	c := &o.cfg
	fs.Var(&endpointList{p: &c.Endpoints}, "bind", "`endpoint` to bind; repeat the flag (or separate with commas) for several")
	fs.Var(positiveDuration{&c.HeartbeatInterval}, "heartbeat", "heartbeat interval towards workers (a `duration`)")
	fs.Var(positiveInt{&c.HeartbeatLiveness}, "liveness", "heartbeat intervals of silence that expire a worker (a `count`)")
	fs.Var(positiveDuration{&c.RequestTimeout}, "request-timeout", "deadline of a request that carries none, and the longest a client may ask for (a `duration`)")
	fs.Var(positiveInt{&c.MaxAttempts}, "max-attempts", "deliveries of a request to workers before the client gets 502 (a `count`)")
	fs.Var(positiveInt{&c.QueueLimit}, "queue-limit", "requests queued per service (a `count`)")
	fs.Var(byteSize{&c.QueueBytes}, "queue-bytes", "bytes queued per service (a `size`: 65536, 64KiB, 16MiB, 1GiB)")
	fs.Var(positiveInt{&c.GlobalQueueLimit}, "global-queue-limit", "requests queued in all services together (a `count`)")
	fs.Var(byteSize{&c.GlobalQueueBytes}, "global-queue-bytes", "bytes queued in all services together (a `size`)")
	fs.Var(byteSize{&c.MaxMessageSize}, "max-message-size", "largest message accepted, also set as ZMQ_MAXMSGSIZE (a `size`)")
	fs.Var(positiveDuration{&c.ServiceIdleTimeout}, "service-idle-timeout", "how long a service with no workers and no requests is remembered (a `duration`)")
	fs.Var(positiveInt{&c.ReplyCacheSize}, "reply-cache-size", "replies kept to answer retries of answered requests (a `count`)")
	fs.Var(byteSize{&c.ReplyCacheBytes}, "reply-cache-bytes", "bytes of replies kept for retries (a `size`)")
	fs.Var(positiveDuration{&c.ReplyCacheTTL}, "reply-cache-ttl", "how long a reply is kept for retries (a `duration`)")
	fs.Var(positiveDuration{&c.DrainTimeout}, "drain-timeout", "on SIGTERM/SIGINT, how long requests in flight may still finish (a `duration`)")
	fs.StringVar(&o.admin, "admin", o.admin, "HTTP `address` of /metrics, /livez and /readyz; \"off\" disables it")
	fs.StringVar(&o.logLevel, "log-level", o.logLevel, "`level`: debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", o.logFormat, "`format`: console or json")
	fs.StringVar(&o.configFile, "config", o.configFile, "config `file` of \"name = value\" lines, names as the flags'")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	fs.Usage = func() {} // parse errors are returned and printed once by the caller
	return fs
}

// printUsage prints the help text of fs.
func printUsage(fs *flag.FlagSet, out io.Writer) {
	fs.SetOutput(out)
	fmt.Fprintf(out, "Usage: mdbroker [flags]\n\nThe majordomo broker. Every flag may also be set as an environment variable\n"+
		"(--queue-limit as %sQUEUE_LIMIT) or in the --config file (queue-limit = 5000).\n"+
		"Flags win over the environment, which wins over the file.\n\n", envPrefix)
	fs.PrintDefaults()
}

func defaultOptions() options {
	return options{cfg: broker.DefaultConfig(), admin: "127.0.0.1:9555", logLevel: "info", logFormat: "console"}
}

// parseOptions reads defaults, then the config file, then the environment,
// then the command line, each overriding the one before.
func parseOptions(args []string, getenv func(string) string, out io.Writer) (options, error) {
	o := defaultOptions()
	fs := o.flagSet(out)
	if slices.ContainsFunc(args, isHelp) {
		printUsage(fs, out)
		return o, flag.ErrHelp
	}
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (every setting is a flag)", fs.Arg(0))
	}
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })

	// The environment and the file each go through fs.Set, so a value is
	// checked the same way wherever it comes from.
	fromEnv := map[string]string{}
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv(envName(f.Name)); v != "" && !onCommandLine[f.Name] {
			fromEnv[f.Name] = v
		}
	})
	if v, ok := fromEnv["config"]; ok {
		o.configFile = v
	}
	if o.configFile != "" && !o.version {
		settings, err := readConfigFile(o.configFile)
		if err != nil {
			return o, err
		}
		for _, s := range settings {
			f := fs.Lookup(s.name)
			switch {
			case f == nil || s.name == "config" || s.name == "version":
				errs = append(errs, fmt.Errorf("%s:%d: unknown setting %q", o.configFile, s.line, s.name))
			case onCommandLine[s.name] || fromEnv[s.name] != "":
			default:
				if err := fs.Set(s.name, s.value); err != nil {
					errs = append(errs, fmt.Errorf("%s:%d: %s: %v", o.configFile, s.line, s.name, err))
				}
			}
		}
	}
	for name, v := range fromEnv {
		if err := fs.Set(name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %v", envName(name), v, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return o, err
	}
	return o, o.check()
}

func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "--h"
}

func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// check validates what no single flag can: the broker config as a whole
// and the choices among words.
func (o *options) check() error {
	var errs []error
	if err := o.cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if _, err := parseLevel(o.logLevel); err != nil {
		errs = append(errs, err)
	}
	if o.logFormat != "console" && o.logFormat != "json" {
		errs = append(errs, fmt.Errorf("log format %q: want console or json", o.logFormat))
	}
	return errors.Join(errs...)
}

// adminEnabled reports whether the admin HTTP server is wanted.
func (o *options) adminEnabled() bool { return o.admin != "" && o.admin != "off" }
