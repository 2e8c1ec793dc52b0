package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/internal/adminauth"
	"github.com/majordomo-go/majordomo/internal/configfile"
	"github.com/majordomo-go/majordomo/internal/daemonlog"
	"github.com/majordomo-go/majordomo/internal/flagvalue"
	"github.com/majordomo-go/majordomo/titanic"
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
	// from says where each setting that is not a default came from: a flag
	// ("--liveness"), a variable ("MDBROKER_LIVENESS") or a file line
	// ("mdbroker.conf:3"), for errors about several settings at once.
	from map[string]string
	// titanic: --titanic and --titanic-max-bytes (see titanic.go).
	titanic titanicOptions
	// adminAuth: --admin-token-file, --admin-tls-* and
	// --admin-metrics-open, loaded into adminGuard (see adminauth.go).
	adminAuth  adminauth.Config
	adminGuard *adminauth.Guard
	// security: --curve-key and --policy (see security.go).
	security securityOptions
}

// Bounds of the heartbeat settings, beyond the 1ms floor of durations: a
// worker is expired after heartbeat × liveness of silence, which must not
// overflow and should not exceed a day (a worker that silent is gone).
const (
	maxLiveness      = 1000
	maxWorkerSilence = broker.MaxExpiry
)

// flagSet declares every flag, bound to o, with the defaults in o.
func (o *options) flagSet(out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("mdbroker", flag.ContinueOnError)
	fs.SetOutput(out)
	c := &o.cfg
	fs.Var(&endpointList{p: &c.Endpoints}, "bind", "`endpoint` to bind; repeat the flag (or separate with commas) for several")
	fs.Var(flagvalue.Duration{P: &c.HeartbeatInterval}, "heartbeat", "heartbeat interval towards workers (a `duration`)")
	fs.Var(positiveInt{&c.HeartbeatLiveness, maxLiveness}, "liveness", "heartbeat intervals of silence that expire a worker (a `count`, at most 1000; heartbeat × liveness at most 24h)")
	fs.Var(flagvalue.Duration{P: &c.RequestTimeout}, "request-timeout", "deadline of a request that carries none, and the longest a client may ask for (a `duration`)")
	fs.Var(positiveInt{p: &c.MaxAttempts}, "max-attempts", "deliveries of a request to workers before the client gets 502 (a `count`)")
	fs.Var(positiveInt{p: &c.QueueLimit}, "queue-limit", "optional cap on requests queued per service, beside --queue-bytes (a `count`; default none)")
	fs.Var(flagvalue.Size{P: &c.QueueBytes}, "queue-bytes", "bytes queued per service (a `size`: 65536, 64KiB, 16MiB, 1GiB)")
	fs.Var(positiveInt{p: &c.GlobalQueueLimit}, "global-queue-limit", "optional cap on requests queued in all services together, beside --global-queue-bytes (a `count`; default none)")
	fs.Var(flagvalue.Size{P: &c.GlobalQueueBytes}, "global-queue-bytes", "bytes queued in all services together (a `size`)")
	fs.Var(flagvalue.Size{P: &c.UnservedQueueBytes}, "unserved-queue-bytes", "bytes queued in all for services that have no worker (a `size`)")
	fs.Var(positiveInt{p: &c.UnservedPerClient}, "unserved-per-client", "requests one client may have queued for services that have no worker (a `count`)")
	fs.Var(flagvalue.Duration{P: &c.WorkerHeartbeatMin}, "worker-heartbeat-min", "shortest heartbeat interval an extension worker may declare; shorter ones are raised to it (a `duration`)")
	fs.Var(flagvalue.Duration{P: &c.WorkerHeartbeatMax}, "worker-heartbeat-max", "longest heartbeat interval an extension worker may declare; longer ones are cut to it (a `duration`; × liveness at most 24h)")
	fs.Var(servicePolicies{&c.Services}, "service", "pin a service's policy, over what its workers declare: `NAME:key=value,...` with keys mode (overflow, strict, exclusive), max-tier, queue-limit, queue-bytes, deadline; repeat the flag (or separate with ;) for several services")
	fs.Var(flagvalue.Size{P: &c.MaxMessageSize}, "max-message-size", "largest message, all frames together, answered 413 beyond; libzmq closes the connection of one over 2 × this + 32MiB (a `size`)")
	fs.Var(flagvalue.Duration{P: &c.ServiceIdleTimeout}, "service-idle-timeout", "how long a service with no workers and no requests is remembered (a `duration`)")
	fs.Var(positiveInt{p: &c.ReplyCacheSize}, "reply-cache-size", "replies kept to answer retries of answered requests (a `count`)")
	fs.Var(flagvalue.Size{P: &c.ReplyCacheBytes}, "reply-cache-bytes", "bytes of replies kept for retries (a `size`)")
	fs.Var(flagvalue.Duration{P: &c.ReplyCacheTTL}, "reply-cache-ttl", "how long a reply is kept for retries (a `duration`)")
	fs.Var(flagvalue.Duration{P: &c.DrainTimeout}, "drain-timeout", "on SIGTERM/SIGINT, how long requests in flight may still finish (a `duration`)")
	o.registerSecurity(fs)
	fs.StringVar(&o.titanic.dir, "titanic", o.titanic.dir, "run Titanic (9/TSP) in this process with its store in this `directory`")
	fs.Var(flagvalue.Size{P: &o.titanic.maxBytes}, "titanic-max-bytes", "bound on Titanic's stored bytes; beyond it titanic.request answers 503 (a `size`)")
	fs.StringVar(&o.admin, "admin", o.admin, "HTTP `address` of the status page (/, /api/status), /metrics, /livez, /readyz and POST /handover (answered to loopback peers only); \"off\" disables it")
	o.adminAuth.Register(fs)
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
	return options{cfg: broker.DefaultConfig(), admin: "127.0.0.1:9555", logLevel: "info", logFormat: "console",
		titanic: titanicOptions{maxBytes: titanic.DefaultMaxBytes}}
}

// parseOptions reads defaults, then the config file, then the environment
// (env holds every variable; those that name no flag are returned as
// unknownEnv, to be warned about), then the command line, each overriding
// the one before.
func parseOptions(args []string, env map[string]string, out io.Writer) (o options, unknownEnv []string, err error) {
	o = defaultOptions()
	fs := o.flagSet(out)
	if slices.ContainsFunc(args, isHelp) {
		printUsage(fs, out)
		return o, nil, flag.ErrHelp
	}
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return o, nil, err
	}
	if fs.NArg() > 0 {
		return o, nil, fmt.Errorf("unexpected argument %q (every setting is a flag)", fs.Arg(0))
	}
	onCommandLine := map[string]bool{}
	o.from = map[string]string{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name], o.from[f.Name] = true, "--"+f.Name })

	// The environment and the file each go through fs.Set, so a value is
	// checked the same way wherever it comes from. --version is a command,
	// not a setting: MDBROKER_VERSION (a common name for other things) is
	// not read.
	type envSetting struct{ name, value string }
	var fromEnv []envSetting
	inEnv := map[string]bool{}
	known := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "version" {
			return
		}
		known[envName(f.Name)] = true
		if v := env[envName(f.Name)]; v != "" && !onCommandLine[f.Name] {
			fromEnv = append(fromEnv, envSetting{f.Name, v})
			inEnv[f.Name] = true
			if f.Name == "config" {
				o.configFile = v
			}
		}
	})
	for k := range env {
		if strings.HasPrefix(k, envPrefix) && !known[k] {
			unknownEnv = append(unknownEnv, k)
		}
	}
	slices.Sort(unknownEnv)

	var errs []error
	if o.configFile != "" && !o.version {
		settings, err := configfile.Read(o.configFile)
		if err != nil {
			return o, unknownEnv, err
		}
		seen := map[string]int{}
		for _, s := range settings {
			f := fs.Lookup(s.Name)
			where := fmt.Sprintf("%s:%d", o.configFile, s.Line)
			switch {
			case s.Name == "config" || s.Name == "version":
				errs = append(errs, fmt.Errorf("%s: %q cannot be set in a config file", where, s.Name))
			case f == nil:
				errs = append(errs, fmt.Errorf("%s: unknown setting %q", where, s.Name))
			case seen[s.Name] != 0 && s.Name != "bind" && s.Name != "service":
				errs = append(errs, fmt.Errorf("%s: %s is set again (first on line %d)", where, s.Name, seen[s.Name]))
			case onCommandLine[s.Name] || inEnv[s.Name]:
			default:
				if err := fs.Set(s.Name, s.Value); err != nil {
					errs = append(errs, fmt.Errorf("%s: %s: %v", where, s.Name, err))
				}
				o.from[s.Name] = where
			}
			if seen[s.Name] == 0 {
				seen[s.Name] = s.Line
			}
		}
	}
	for _, e := range fromEnv {
		if err := fs.Set(e.name, e.value); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %v", envName(e.name), e.value, err))
		}
		o.from[e.name] = envName(e.name)
	}
	if err := errors.Join(errs...); err != nil {
		return o, unknownEnv, err
	}
	return o, unknownEnv, o.check()
}

// environMap turns os.Environ's KEY=value list into a map.
func environMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
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
	// The broker checks heartbeat × liveness too, without the sources:
	// one message for the one mistake.
	if err := o.checkWorkerSilence(); err != nil {
		errs = append(errs, err)
	} else if err := o.loadSecurity(); err != nil {
		errs = append(errs, err)
	} else if err := o.cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := o.titanic.check(); err != nil {
		errs = append(errs, err)
	}
	if err := daemonlog.Check(o.logLevel, o.logFormat); err != nil {
		errs = append(errs, err)
	}
	if err := o.loadAdminAuth(); err != nil {
		errs = append(errs, err)
	}
	if o.admin != "off" {
		if _, port, err := net.SplitHostPort(o.admin); err != nil {
			errs = append(errs, fmt.Errorf("admin address %q: want host:port, or off: %v", o.admin, err))
		} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			errs = append(errs, fmt.Errorf("admin address %q: port %q is not a number from 0 to 65535", o.admin, port))
		}
	}
	return errors.Join(errs...)
}

// checkWorkerSilence refuses a heartbeat × liveness over maxWorkerSilence,
// without computing the product (which may overflow time.Duration and
// expire every worker at once), and names where both settings came from.
func (o *options) checkWorkerSilence() error {
	interval, liveness := o.cfg.HeartbeatInterval, o.cfg.HeartbeatLiveness
	if interval <= 0 || liveness <= 0 || interval <= maxWorkerSilence/time.Duration(liveness) {
		return nil
	}
	return fmt.Errorf("heartbeat %v (%s) × liveness %d (%s) is over %v, the longest a silent worker may be kept",
		interval, o.source("heartbeat"), liveness, o.source("liveness"), maxWorkerSilence)
}

// source says where the setting name came from.
func (o *options) source(name string) string {
	if s, ok := o.from[name]; ok {
		return s
	}
	return "default"
}

// adminEnabled reports whether the admin HTTP server is wanted.
func (o *options) adminEnabled() bool { return o.admin != "off" }
