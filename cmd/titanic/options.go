package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/majordomo-go/majordomo/internal/adminauth"
	"github.com/majordomo-go/majordomo/internal/curveflags"
	"github.com/majordomo-go/majordomo/internal/daemonlog"
	"github.com/majordomo-go/majordomo/internal/flagvalue"
	"github.com/majordomo-go/majordomo/titanic"
)

// options is everything the command can be told.
type options struct {
	cfg       titanic.Config
	admin     string
	logLevel  string
	logFormat string
	version   bool             // --version: print it and exit
	curve     curveflags.Files // --server-key, --key
	adminAuth adminauth.Config // --admin-token-file, --admin-tls-*, --admin-metrics-open
	guard     *adminauth.Guard // loaded from adminAuth when --admin is set
}

func (o *options) flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("titanic", flag.ContinueOnError)
	c := &o.cfg
	fs.StringVar(&c.Broker, "broker", "tcp://127.0.0.1:5555", "broker `endpoint` to serve through and dispatch through")
	fs.StringVar(&c.Dir, "data", "", "data `directory` (required); the store is DIR/"+titanic.StoreFile)
	fs.Var(flagvalue.Size{P: &c.MaxBytes}, "max-bytes", "bound on the store's live bytes; beyond it titanic.request answers 503 (a `size`: 65536, 64KiB, 1GiB)")
	fs.Var(flagvalue.Duration{P: &c.DefaultTTL}, "ttl", "how long a request is tried when it names no TTL (a `duration`)")
	fs.Var(flagvalue.Duration{P: &c.MaxTTL}, "max-ttl", "longest TTL a request may name (a `duration`)")
	fs.Var(flagvalue.Duration{P: &c.Retention}, "retention", "how long a finished request nobody closed is kept (a `duration`)")
	fs.Var(flagvalue.Duration{P: &c.AttemptTimeout}, "attempt-timeout", "bound on one dispatch attempt (a `duration`)")
	fs.Var(flagvalue.Duration{P: &c.Heartbeat}, "heartbeat", "heartbeat interval of Titanic's workers (a `duration`)")
	fs.IntVar(&c.MaxInFlight, "max-in-flight", c.MaxInFlight, "requests of one service dispatched at once (a `count`)")
	fs.StringVar(&o.admin, "admin", "", "HTTP `address` of /metrics (default: none); beyond loopback it needs --admin-token-file or --admin-tls-*")
	o.adminAuth.Register(fs)
	o.curve.Register(fs)
	fs.StringVar(&o.logLevel, "log-level", "info", "`level`: debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", "console", "`format`: console or json")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	return fs
}

// parseOptions reads the defaults, then TITANIC_* variables, then the
// command line, each overriding the one before.
func parseOptions(args, environ []string, stderr io.Writer) (options, error) {
	o := options{cfg: titanic.DefaultConfig()}
	fs := o.flagSet()
	fs.SetOutput(io.Discard)
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(stderr)
			fmt.Fprintf(stderr, "Usage: titanic --data DIR [flags]\n\nEvery flag may also be set as TITANIC_NAME (--max-bytes as TITANIC_MAX_BYTES).\n\n")
			fs.PrintDefaults()
			return o, flag.ErrHelp
		}
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.version {
		return o, nil
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (every setting is a flag)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if v, ok := env[envName(f.Name)]; ok && v != "" && !set[f.Name] && f.Name != "version" {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %v", envName(f.Name), v, err))
			}
		}
	})
	if o.cfg.Dir == "" {
		errs = append(errs, errors.New("--data DIR is required"))
	}
	if err := o.loadSecurity(func(k string) string { return env[k] }); err != nil {
		errs = append(errs, err)
	}
	if err := daemonlog.Check(o.logLevel, o.logFormat); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		errs = append(errs, o.cfg.Validate())
	}
	return o, errors.Join(errs...)
}

// loadSecurity reads the CURVE key files (--server-key and --key, else
// $MAJORDOMO_SERVER_KEY and $MAJORDOMO_KEY) into the config, and loads the
// admin endpoint's guard.
func (o *options) loadSecurity(getenv func(string) string) error {
	var errs []error
	o.curve = o.curve.WithEnv(getenv)
	var err error
	if o.cfg.CurveServerKey, o.cfg.CurvePublicKey, o.cfg.CurveSecretKey, err = o.curve.Z85(); err != nil {
		errs = append(errs, err)
	}
	if o.admin != "" {
		if o.guard, err = adminauth.New(o.admin, o.adminAuth); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
