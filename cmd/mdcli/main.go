// Command mdcli calls majordomo services from the shell:
//
//	mdcli call SERVICE [FRAME...]   send a request, print the reply frames
//	mdcli services                  list the broker's services (mmi.services)
//	mdcli service NAME              tell whether a service has a worker (mmi.service)
//
// Flags (before the command or right after it; every argument after SERVICE
// is a frame, as is): --broker ENDPOINT (repeatable;
// default tcp://127.0.0.1:5555), --timeout (the whole call, retries
// included), --retries, --fail-fast, --json. Exit codes: 0 success, 1 an
// error reply from the service or broker (or, for "service", no such
// service), 2 usage, 3 timeout, 4 any other failure.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
