// Command mdcli calls majordomo services from the shell:
//
//	mdcli call SERVICE [FRAME...]    send a request, print the reply frames
//	mdcli stream SERVICE [FRAME...]  send a request, print each PARTIAL reply as it arrives, then the FINAL
//	mdcli services                   list the broker's services (mmi.services, every page)
//	mdcli service NAME               tell whether a service has a worker (mmi.service)
//	mdcli workers NAME               list a service's workers (mmi.workers, every page)
//	mdcli titanic SUBCOMMAND ...     Titanic (9/TSP): submit, status, fetch, close
//	mdcli kv SUBCOMMAND ...          an mdkv store: put, get, del, cas, incr, scan, status
//	mdcli keygen FILE                make a CURVE key pair: FILE (secret, 0600) and FILE.pub
//	mdcli completion bash|zsh        print a shell completion script
//	mdcli --version                  print the build (module version, or the commit)
//
// For example:
//
//	export MAJORDOMO_BROKER=tcp://10.0.0.1:5555,tcp://10.0.0.2:5555
//	mdcli call echo hello @request.json     # the second frame is the file's contents
//	tail -c 1000 app.log | mdcli call logs.parse -
//	mdcli stream echo a b c
//	source <(mdcli completion bash)
//
// Flags (before the command or right after it; every argument after SERVICE
// is a frame, as is, and "--" ends the flags): --broker ENDPOINT
// (repeatable; without it the comma-separated list in $MAJORDOMO_BROKER,
// else tcp://127.0.0.1:5555), --timeout (the whole call, retries
// included), --retries, --fail-fast, --json, --version, and for a broker
// that speaks CURVE --server-key BROKER.pub --key FILE (else
// $MAJORDOMO_SERVER_KEY and $MAJORDOMO_KEY): the broker's public key file
// and mdcli's own secret key file, which is refused when other users may
// read it. A broker that refuses the key, or whose key is another, looks
// like no broker at all: the call times out (exit 3).
//
// A FRAME "-" is all of stdin, "@PATH" a file's contents, "@@TEXT" the
// text "@TEXT"; either may hold up to 16 MiB. When a call or stream times
// out, mdcli asks the brokers (mmi.service, within one more second) and
// says which case it is: no broker answered, the service has no worker,
// or its worker was too slow; the exit code is still 3. A "call mmi.NAME"
// whose reply is an error status (501 not implemented, 404) prints the
// reply and exits 1.
//
// Exit codes: 0 success, 1 an error reply from the service or broker (or,
// for "service", no such service), 2 usage, 3 timeout, 4 any other
// failure; mdcli kv adds 5 (key not found) and 6 (cas failed), mdcli
// titanic documents its own use of 1 and 3.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runIn(ctx, process{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:])
	stop()
	os.Exit(code)
}
