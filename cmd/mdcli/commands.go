package main

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/internal/curveflags"
)

// command is one of mdcli's commands: what usage says about it, what shell
// completion offers after it, and what arguments it takes.
type command struct {
	name        string
	args        string // as usage shows them
	summary     string
	subcommands []string                   // completed after the command; the first argument must be one
	check       func(rest []string) string // a usage error about the arguments, or ""
	offline     bool                       // runs without a broker
}

// commands is every command, in the order usage lists them. Usage, the
// argument checks and the completion scripts are all made from it.
var commands = []command{
	{name: "call", args: "SERVICE [FRAME...]", summary: "send a request (one frame per argument), print the reply frames",
		check: needService("call")},
	{name: "stream", args: "SERVICE [FRAME...]", summary: "send a request, print each PARTIAL reply as it arrives, then the FINAL one",
		check: needService("stream")},
	{name: "services", summary: "list the broker's services: mode, workers by tier and state, queue, stats (mmi.services, every page)",
		check: func(rest []string) string { return unless(len(rest) == 0, "services takes no arguments") }},
	{name: "service", args: "NAME", summary: "exit 0 if NAME has a worker, 1 if not (mmi.service)",
		check: func(rest []string) string { return unless(len(rest) == 1, "service needs exactly one NAME") }},
	{name: "workers", args: "NAME", summary: "list NAME's workers: tier, state, capacity, counts, declared name/version/metadata (mmi.workers)",
		check: func(rest []string) string { return unless(len(rest) == 1, "workers needs exactly one NAME") }},
	{name: "titanic", args: "SUBCOMMAND ...", summary: "Titanic: submit, status, fetch, close (mdcli titanic for details)",
		subcommands: []string{"submit", "status", "fetch", "close"}},
	{name: "kv", args: "SUBCOMMAND ...", summary: "an mdkv store: put, get, del, cas, incr, scan, status (mdcli kv for details)",
		subcommands: []string{"put", "get", "del", "cas", "incr", "scan", "status", "transfer", "add", "remove"}},
	{name: "keygen", args: "FILE", summary: "make a CURVE key pair: the secret key in FILE (mode 0600), the public key in FILE.pub; never overwrites",
		offline: true, check: func(rest []string) string { return unless(len(rest) == 1, "keygen needs exactly one FILE") }},
	{name: "completion", args: "bash|zsh", summary: "print a shell completion script (source it from your shell's rc file)",
		subcommands: []string{"bash", "zsh"}, offline: true,
		check: func(rest []string) string {
			return unless(len(rest) == 1 && completionScripts[rest[0]] != nil, "completion needs one shell: bash or zsh")
		}},
}

func needService(name string) func([]string) string {
	return func(rest []string) string { return unless(len(rest) > 0, name+" needs a SERVICE") }
}

// unless is msg when ok is false, else "".
func unless(ok bool, msg string) string {
	if ok {
		return ""
	}
	return msg
}

func lookupCommand(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// brokerEnv names the variable that lists brokers when --broker is not given.
const brokerEnv = "MAJORDOMO_BROKER"

const usageFrames = `
A FRAME is taken as it is, except:
  -        the frame is all of stdin (printf '-' | mdcli call SVC - sends a lone "-")
  @PATH    the frame is the file's contents
  @@TEXT   the frame is @TEXT (a literal leading @)
A frame from stdin or a file may hold up to 16 MiB, the broker's default message bound.

brokers: --broker (repeatable), else $` + brokerEnv + ` (comma-separated), else ` + defaultBroker + `.
CURVE: --server-key BROKER.pub --key FILE (else $` + curveflags.ServerKeyEnv + ` and $` + curveflags.KeyEnv + `): the broker's
public key file and this client's secret key file (mdcli keygen FILE makes one); a secret key
file open to other users is refused. A broker that refuses the key looks like no broker at all.
On a timeout, mdcli asks the brokers (mmi.service, within 1s more) and says which case it is:
no broker answered, the service has no worker, or its worker was too slow.
"--" ends the flags.
`

// usageText is the usage message, made from commands and the flags.
func usageText(fs *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString("usage: mdcli [flags] COMMAND [ARGS]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-27s %s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	b.WriteString(usageFrames)
	b.WriteString("\nflags (before the command or right after it; every argument after SERVICE is a frame):\n")
	fs.SetOutput(&b)
	fs.PrintDefaults()
	b.WriteString("\nexit codes: 0 success, 1 error reply (or no such service, or an mmi.* error status), 2 usage,\n" +
		"3 timeout (or 504), 4 other failure; mdcli kv adds 5 and 6 (mdcli kv for details)\n")
	return b.String()
}

// newFlagSet defines mdcli's flags on cfg and brokers.
func newFlagSet(cfg *config, brokers *brokerList) *flag.FlagSet {
	fs := flag.NewFlagSet("mdcli", flag.ContinueOnError)
	fs.Var(brokers, "broker", "broker `endpoint`; repeat for several, tried in turn (default $"+brokerEnv+", else "+defaultBroker+")")
	fs.DurationVar(&cfg.timeout, "timeout", 5*time.Second, "time for the whole call, retries included")
	fs.IntVar(&cfg.retries, "retries", clients.DefaultRetries, "re-sends after an attempt times out (each attempt gets timeout/(retries+1))")
	fs.BoolVar(&cfg.failFast, "fail-fast", false, "fail at once with 404 when the service has no worker")
	fs.BoolVar(&cfg.json, "json", false, "print results and errors as JSON on stdout (stream: one line per reply, \"final\" true on the last)")
	fs.BoolVar(&cfg.version, "version", false, "print the version and exit")
	cfg.curve.Register(fs)
	return fs
}

// flagNames is every flag as the shell types it ("--broker"), and those that
// take a value.
func flagNames() (all, withValue []string) {
	var cfg config
	var brokers brokerList
	newFlagSet(&cfg, &brokers).VisitAll(func(f *flag.Flag) {
		all = append(all, "--"+f.Name)
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
			withValue = append(withValue, "--"+f.Name)
		}
	})
	return all, withValue
}
