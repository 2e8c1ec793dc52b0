package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/mdp"
)

// mmiProbeTimeout bounds the mmi.service question mdcli asks after a
// request timed out, to say why; every broker in the list gets its share.
const mmiProbeTimeout = time.Second

// timeoutCause says why a request timed out: code is a stable word for
// --json (no-broker, no-worker, slow-worker or slow-broker), text a
// sentence for people. The zero value says nothing.
type timeoutCause struct {
	code, text string
}

// explainer returns a function that asks the brokers, within
// mmiProbeTimeout and through a client of its own (the request's may have
// spent its attempts), whether a service has a worker, and from the answer
// (or its absence) tells why a request to it timed out. parent is the
// command's context without the request's deadline (Ctrl-C still ends it).
// extra are options of the command's client it needs too (CURVE keys).
func explainer(parent context.Context, brokers []string, extra ...clients.Option) func(service string) timeoutCause {
	return func(service string) timeoutCause {
		opts := append([]clients.Option{clients.WithRetries(len(brokers) - 1), clients.WithBackoff(0, 0),
			clients.WithTimeout(mmiProbeTimeout / time.Duration(len(brokers)))}, extra...)
		c, err := clients.New(brokers, opts...)
		if err != nil {
			return timeoutCause{}
		}
		defer c.Close()
		ctx, cancel := context.WithTimeout(parent, mmiProbeTimeout)
		defer cancel()
		exists, err := c.ServiceExists(ctx, service)
		return causeOf(service, brokers, mmiProbeTimeout, exists, err)
	}
}

// causeOf turns the answer to mmi.service (exists, or err), asked within
// wait, into a cause.
func causeOf(service string, brokers []string, wait time.Duration, exists bool, err error) timeoutCause {
	switch {
	case errors.Is(err, clients.ErrTimeout):
		return timeoutCause{"no-broker", fmt.Sprintf("no broker answered %s within %v either: is a broker running at %s?",
			mdp.MMIService, wait, strings.Join(brokers, ", "))}
	case err != nil:
		return timeoutCause{} // cancelled, or a broker without MMI: nothing to say
	case strings.HasPrefix(service, "mmi."):
		return timeoutCause{"slow-broker", fmt.Sprintf("the broker answers %s but did not answer %s in time",
			mdp.MMIService, service)}
	case !exists:
		return timeoutCause{"no-worker", fmt.Sprintf("the broker has no worker for %q (%s: 404): is its worker running?",
			service, mdp.MMIService)}
	}
	return timeoutCause{"slow-worker", fmt.Sprintf("%q has a worker (%s: 200), but no reply came in time: "+
		"the worker is slow or busy (a longer --timeout may do)", service, mdp.MMIService)}
}
