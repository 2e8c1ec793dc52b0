package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/majordomo-go/majordomo/internal/adminauth"
	"github.com/majordomo-go/majordomo/internal/configfile"
	"github.com/majordomo-go/majordomo/internal/curveflags"
	"github.com/majordomo-go/majordomo/internal/daemonlog"
	"github.com/majordomo-go/majordomo/internal/flagvalue"
	"github.com/majordomo-go/majordomo/kv"
)

// envPrefix names the environment variables: --election-timeout is
// MDKV_ELECTION_TIMEOUT.
const envPrefix = "MDKV_"

// options is everything mdkv can be told.
type options struct {
	cfg        kv.Config
	peers      string
	logLevel   string
	logFormat  string
	configFile string
	curve      curveflags.Files // --server-key, --key
	adminAuth  adminauth.Config // --admin-token-file, --admin-tls-*, --admin-metrics-open
}

func (o *options) flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("mdkv", flag.ContinueOnError)
	c := &o.cfg
	fs.StringVar(&c.Store, "store", c.Store, "store `name`: the node serves NAME.read, NAME.write (as leader) and NAME.node.ID")
	fs.StringVar(&c.ID, "id", c.ID, "this node's Raft server `id`")
	fs.StringVar(&c.DataDir, "data", c.DataDir, "data `directory` (fsm.db, raft.db, snapshots)")
	fs.StringVar(&c.RaftAddr, "raft", c.RaftAddr, "`host:port` of the Raft transport; the other nodes must reach it directly")
	fs.Var(&brokerList{p: &c.Brokers}, "broker", "broker `endpoint`; repeat the flag (or separate with commas) for several")
	fs.StringVar(&o.peers, "peers", o.peers, "initial cluster `ID=HOST:PORT[/replica],...`; used on an empty data directory only; a node not listed waits to be added (mdcli kv add)")
	fs.StringVar(&c.AdminAddr, "admin", c.AdminAddr, "`host:port` of the HTTP endpoint /metrics, /livez, /readyz (default off); beyond loopback it needs --admin-token-file or --admin-tls-*")
	o.adminAuth.Register(fs)
	o.curve.Register(fs)
	fs.StringVar(&c.Group, "group", c.Group, "this node's group (a location `name`)")
	fs.StringVar(&c.Role, "role", c.Role, "`role`: voter (may lead) or replica (a Raft non-voter: serves reads, never leads)")
	fs.Var(brokerGroups{p: &c.BrokerGroups}, "broker-group", "`NAME=ENDPOINT`: the clients of broker ENDPOINT (one of --broker) are in group NAME; repeat for several (brokers not listed are in --local-group)")
	fs.StringVar(&c.LocalGroup, "local-group", c.LocalGroup, "the group whose clients the --broker endpoints serve (`name`; default: --group): STORE.read registers with tier 1 there, tier 2 otherwise")
	fs.Uint64Var(&c.CatchUpLag, "catch-up-lag", c.CatchUpLag, "STORE.read registers once the applied index is within this many entries of the leader's commit index (a `count`)")
	dur0 := func(p *time.Duration, name, usage string) {
		fs.Var(flagvalue.DurationOrZero{P: p}, name, usage+" (a `duration`, 0 = off)")
	}
	dur0(&c.MaxStaleness, "max-staleness", "refuse reads (503) when the leader was last heard from longer ago")
	dur := func(p *time.Duration, name, usage string) {
		fs.Var(flagvalue.Duration{P: p}, name, usage+" (a `duration`)")
	}
	dur(&c.HeartbeatTimeout, "heartbeat-timeout", "follower time without a leader before it stands for election")
	dur(&c.ElectionTimeout, "election-timeout", "candidate time without a winner before a new election")
	dur(&c.LeaderLeaseTimeout, "leader-lease-timeout", "leader time without a majority's contact before it steps down")
	dur(&c.CommitTimeout, "commit-timeout", "leader time without an apply before it heartbeats")
	dur(&c.SnapshotInterval, "snapshot-interval", "how often to check whether a snapshot is due")
	dur(&c.WorkerHeartbeat, "worker-heartbeat", "heartbeat of the node's workers towards the brokers")
	dur(&c.DrainTimeout, "drain-timeout", "on SIGTERM, how long requests in flight may still finish")
	fs.Uint64Var(&c.SnapshotThreshold, "snapshot-threshold", c.SnapshotThreshold, "log entries after the last snapshot that make a new one due (a `count`)")
	fs.Uint64Var(&c.TrailingLogs, "trailing-logs", c.TrailingLogs, "log entries kept after a snapshot (a `count`)")
	fs.StringVar(&o.logLevel, "log-level", o.logLevel, "`level`: debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", o.logFormat, "`format`: console or json")
	fs.StringVar(&o.configFile, "config", o.configFile, "config `file` of \"name = value\" lines, names as the flags'")
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	return fs
}

func printUsage(out io.Writer) {
	o := defaultOptions()
	fs := o.flagSet()
	fs.SetOutput(out)
	fmt.Fprintf(out, "Usage: mdkv --store NAME --id ID --data DIR --raft HOST:PORT --broker tcp://HOST:PORT --peers ID=HOST:PORT,...\n\n"+
		"A node of an mdkv store. Every flag may also be set as an environment variable\n"+
		"(--election-timeout as %sELECTION_TIMEOUT) or in the --config file (election-timeout = 2s).\n"+
		"Flags win over the environment, which wins over the file. mdkv --version prints the version.\n\n", envPrefix)
	fs.PrintDefaults()
}

func defaultOptions() options {
	return options{cfg: kv.DefaultConfig(), logLevel: "info", logFormat: "console"}
}

// parseOptions reads defaults, then the config file, then the environment,
// then the command line, each overriding the one before.
func parseOptions(args []string, env map[string]string) (o options, unknownEnv []string, err error) {
	o = defaultOptions()
	fs := o.flagSet()
	if err := fs.Parse(args); err != nil {
		return o, nil, err
	}
	if fs.NArg() > 0 {
		return o, nil, fmt.Errorf("unexpected argument %q (every setting is a flag)", fs.Arg(0))
	}
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	known := map[string]bool{}
	var fromEnv [][2]string
	fs.VisitAll(func(f *flag.Flag) {
		known[envName(f.Name)] = true
		if v := env[envName(f.Name)]; v != "" && !onCommandLine[f.Name] {
			fromEnv = append(fromEnv, [2]string{f.Name, v})
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
	if o.configFile != "" {
		errs = append(errs, applyConfigFile(fs, o.configFile, onCommandLine, fromEnv)...)
	}
	for _, e := range fromEnv {
		if err := fs.Set(e[0], e[1]); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %v", envName(e[0]), e[1], err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return o, unknownEnv, err
	}
	if err := o.loadSecurity(func(k string) string { return env[k] }); err != nil {
		return o, unknownEnv, err
	}
	return o, unknownEnv, o.check()
}

// loadSecurity reads the CURVE key files (--server-key and --key, else
// $MAJORDOMO_SERVER_KEY and $MAJORDOMO_KEY: each node has its own key)
// into the config, and the admin endpoint's guard.
func (o *options) loadSecurity(getenv func(string) string) error {
	var errs []error
	o.curve = o.curve.WithEnv(getenv)
	c := &o.cfg
	var err error
	if c.CurveServerKey, c.CurvePublicKey, c.CurveSecretKey, err = o.curve.Z85(); err != nil {
		errs = append(errs, err)
	}
	if c.AdminAddr != "" {
		g, err := adminauth.New(c.AdminAddr, o.adminAuth)
		if err != nil {
			errs = append(errs, err)
		} else if g.Enabled() {
			c.AdminTLS, c.AdminAuth = g.TLSConfig(), g.Handler
		}
	}
	return errors.Join(errs...)
}

// applyConfigFile sets what the file says, except what the command line or
// the environment set.
func applyConfigFile(fs *flag.FlagSet, path string, onCommandLine map[string]bool, fromEnv [][2]string) []error {
	settings, err := configfile.Read(path)
	if err != nil {
		return []error{err}
	}
	inEnv := map[string]bool{}
	for _, e := range fromEnv {
		inEnv[e[0]] = true
	}
	var errs []error
	seen := map[string]int{}
	for _, s := range settings {
		where := fmt.Sprintf("%s:%d", path, s.Line)
		switch {
		case s.Name == "config":
			errs = append(errs, fmt.Errorf("%s: %q cannot be set in a config file", where, s.Name))
		case fs.Lookup(s.Name) == nil:
			errs = append(errs, fmt.Errorf("%s: unknown setting %q", where, s.Name))
		case seen[s.Name] != 0 && s.Name != "broker":
			errs = append(errs, fmt.Errorf("%s: %s is set again (first on line %d)", where, s.Name, seen[s.Name]))
		case onCommandLine[s.Name] || inEnv[s.Name]:
		default:
			if err := fs.Set(s.Name, s.Value); err != nil {
				errs = append(errs, fmt.Errorf("%s: %s: %v", where, s.Name, err))
			}
		}
		if seen[s.Name] == 0 {
			seen[s.Name] = s.Line
		}
	}
	return errs
}

func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// check validates the whole: peers, the node config, the log settings.
func (o *options) check() error {
	var errs []error
	if o.peers != "" {
		peers, err := kv.ParsePeers(o.peers)
		if err != nil {
			errs = append(errs, err)
		}
		o.cfg.Peers = peers
	}
	if err := o.cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := daemonlog.Check(o.logLevel, o.logFormat); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func environMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, e := range environ {
		if k, v, ok := strings.Cut(e, "="); ok {
			m[k] = v
		}
	}
	return m
}

// brokerGroups is a repeatable NAME=ENDPOINT flag.
type brokerGroups struct{ p *map[string]string }

func (v brokerGroups) String() string {
	if v.p == nil || len(*v.p) == 0 {
		return ""
	}
	var out []string
	for ep, g := range *v.p {
		out = append(out, g+"="+ep)
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

func (v brokerGroups) Set(s string) error {
	for _, item := range strings.Split(s, ",") {
		g, ep, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok || g == "" || !strings.Contains(ep, "://") {
			return errors.New("want NAME=ENDPOINT (say paris=tcp://10.0.0.9:5555)")
		}
		if *v.p == nil {
			*v.p = map[string]string{}
		}
		(*v.p)[ep] = g
	}
	return nil
}

// brokerList is a repeatable flag of endpoints; the first Set replaces the default.
type brokerList struct {
	p   *[]string
	set bool
}

func (v *brokerList) String() string {
	if v.p == nil {
		return ""
	}
	return strings.Join(*v.p, ",")
}

func (v *brokerList) Set(s string) error {
	if !v.set {
		*v.p, v.set = nil, true
	}
	for _, ep := range strings.Split(s, ",") {
		ep = strings.TrimSpace(ep)
		if !strings.Contains(ep, "://") {
			return errors.New("endpoint " + strconv.Quote(ep) + " has no transport (say tcp://127.0.0.1:5555)")
		}
		*v.p = append(*v.p, ep)
	}
	return nil
}
