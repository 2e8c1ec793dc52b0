package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/mdp"
	"github.com/majordomo-go/majordomo/titanic"
)

// mdcli titanic: the client side of Titanic (9/TSP) from the shell.
const titanicUsage = `usage: mdcli [flags] titanic SUBCOMMAND [ARGS]

  submit [--ttl D] SERVICE [FRAME...]  store a request in Titanic; print its UUID
  status UUID                          print pending, done, failed: REASON or unknown
  fetch [--wait] UUID                  print the reply frames (--wait: poll until there is one, within --timeout)
  close UUID                           forget the request and its reply

exit codes: 0 success (status: pending or done), 1 an error answer (503 store full, 500) or,
for status and fetch, a failed or unknown request, 2 usage, 3 not answered yet (fetch) or timeout,
4 other failure
`

// titanicPollMax is the longest pause between two titanic.reply polls of
// fetch --wait.
const titanicPollMax = time.Second

// titanicCall is one titanic.* request: the status code and the rest.
type titanicCall func(ctx context.Context, service string, body ...[]byte) (mdp.Status, [][]byte, error)

// titanicCommand parses and checks "titanic SUBCOMMAND ARGS". It returns a
// function that runs it, or a usage exit code.
func titanicCommand(args []string, stdin io.Reader, stderr io.Writer) (func(ctx context.Context, call titanicCall, out *output) int, int) {
	bad := func(msg string) (func(context.Context, titanicCall, *output) int, int) {
		fmt.Fprintln(stderr, "mdcli titanic:", msg)
		fmt.Fprint(stderr, titanicUsage)
		return nil, exitUsage
	}
	if len(args) == 0 {
		return bad("missing subcommand")
	}
	fs := flag.NewFlagSet("mdcli titanic "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	ttl := fs.Duration("ttl", 0, "how long Titanic tries the request (default: Titanic's)")
	wait := fs.Bool("wait", false, "poll until the reply is there")
	if err := fs.Parse(args[1:]); err != nil {
		return bad(err.Error())
	}
	rest := fs.Args()
	switch sub := args[0]; {
	case sub == "submit" && len(rest) >= 1 && *ttl >= 0 && !*wait:
		service := rest[0]
		if *ttl > 0 {
			service += fmt.Sprintf("%sttl=%d", titanic.OptionSeparator, max(1, ttl.Milliseconds()))
		}
		frames, err := readFrames(rest[1:], stdin)
		if err != nil {
			return bad(err.Error())
		}
		return func(ctx context.Context, call titanicCall, out *output) int {
			return out.titanicSubmit(ctx, call, service, frames)
		}, exitOK
	case (sub == "status" || sub == "fetch" || sub == "close") && len(rest) == 1 && *ttl == 0 && (!*wait || sub == "fetch"):
		if _, err := mdp.ParseUUID(rest[0]); err != nil {
			return bad(err.Error())
		}
		id := rest[0]
		return func(ctx context.Context, call titanicCall, out *output) int {
			switch sub {
			case "status":
				return out.titanicStatus(ctx, call, id)
			case "fetch":
				return out.titanicFetch(ctx, call, id, *wait)
			}
			return out.titanicClose(ctx, call, id)
		}, exitOK
	}
	return bad(fmt.Sprintf("bad arguments for %q", args[0]))
}

// titanicCaller makes titanic.* requests with c and splits off the status.
func titanicCaller(c *clients.Client) titanicCall {
	return func(ctx context.Context, service string, body ...[]byte) (mdp.Status, [][]byte, error) {
		reply, err := c.Request(ctx, service, body...)
		if err != nil {
			return 0, nil, err
		}
		if len(reply) == 0 {
			return 0, nil, fmt.Errorf("%s: empty reply", service)
		}
		st, _, err := mdp.ParseStatus(reply[0])
		if err != nil {
			return 0, nil, fmt.Errorf("%s: %w", service, err)
		}
		return st, reply[1:], nil
	}
}

// errTitanic is an answer that is not what was asked for.
var errTitanic = errors.New("titanic")

func titanicError(status mdp.Status, rest [][]byte) error {
	if len(rest) > 0 {
		return fmt.Errorf("%w: %d %s", errTitanic, status, rest[0])
	}
	return fmt.Errorf("%w: %d", errTitanic, status)
}

// runTitanic runs "mdcli titanic ..." (the hook in run).
func runTitanic(ctx context.Context, c *clients.Client, args []string, stdin io.Reader, out *output) int {
	f, code := titanicCommand(args, stdin, out.stderr)
	if f == nil {
		return code
	}
	return f(ctx, titanicCaller(c), out)
}
