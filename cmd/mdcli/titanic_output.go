package main

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/majordomo-go/majordomo/mdp"
)

type titanicDoc struct {
	UUID   string `json:"uuid"`
	State  string `json:"state,omitempty"`
	Reason string `json:"reason,omitempty"`
}

func (o *output) titanicFail(status mdp.Status, rest [][]byte) int {
	err := titanicError(status, rest)
	fmt.Fprintln(o.stderr, "mdcli:", err)
	if o.json {
		o.printJSON(struct {
			Error  string `json:"error"`
			Status int    `json:"status"`
		}{err.Error(), int(status)})
	}
	return exitServiceError
}

func (o *output) titanicSubmit(ctx context.Context, call titanicCall, service string, frames [][]byte) int {
	body := append([][]byte{[]byte(service)}, frames...)
	status, rest, err := call(ctx, mdp.TitanicRequest, body...)
	switch {
	case err != nil:
		return o.fail(err)
	case status != mdp.StatusOK || len(rest) != 1:
		return o.titanicFail(status, rest)
	case o.json:
		return o.printJSON(titanicDoc{UUID: string(rest[0])})
	}
	fmt.Fprintf(o.stdout, "%s\n", rest[0])
	return exitOK
}

func (o *output) titanicStatus(ctx context.Context, call titanicCall, id string) int {
	status, rest, err := call(ctx, mdp.TitanicReply, []byte(id))
	if err != nil {
		return o.fail(err)
	}
	doc, code := titanicDoc{UUID: id}, exitOK
	switch {
	case status == mdp.StatusOK:
		doc.State = "done"
	case status == mdp.StatusPending:
		doc.State = "pending"
	case status == mdp.StatusBadRequest && len(rest) > 0:
		doc.State, doc.Reason, code = "failed", strings.TrimPrefix(string(rest[0]), "failed: "), exitServiceError
	case status == mdp.StatusBadRequest:
		doc.State, code = "unknown", exitServiceError
	default:
		return o.titanicFail(status, rest)
	}
	if o.json {
		o.printJSON(doc)
	} else if doc.Reason != "" {
		fmt.Fprintf(o.stdout, "%s (%s)\n", doc.State, doc.Reason)
	} else {
		fmt.Fprintln(o.stdout, doc.State)
	}
	return code
}

// titanicFetch prints the reply; with wait it polls titanic.reply, the
// pause doubling from 50ms to titanicPollMax, until there is one or ctx ends.
func (o *output) titanicFetch(ctx context.Context, call titanicCall, id string, wait bool) int {
	pause := 50 * time.Millisecond
	for {
		status, rest, err := call(ctx, mdp.TitanicReply, []byte(id))
		switch {
		case err != nil:
			return o.fail(err)
		case status == mdp.StatusOK:
			return o.printFrames(mdp.TitanicReply, rest)
		case status != mdp.StatusPending:
			return o.titanicFail(status, rest)
		case !wait:
			fmt.Fprintln(o.stderr, "mdcli: titanic: 300 pending (no reply yet)")
			return exitTimeout
		}
		select {
		case <-ctx.Done():
			fmt.Fprintln(o.stderr, "mdcli: titanic: still pending when --timeout passed")
			return exitTimeout
		case <-time.After(pause):
		}
		pause = min(2*pause, titanicPollMax)
	}
}

func (o *output) titanicClose(ctx context.Context, call titanicCall, id string) int {
	status, rest, err := call(ctx, mdp.TitanicClose, []byte(id))
	switch {
	case err != nil:
		return o.fail(err)
	case status != mdp.StatusOK:
		return o.titanicFail(status, rest)
	case o.json:
		return o.printJSON(titanicDoc{UUID: id, State: "closed"})
	}
	return exitOK
}

// printFrames prints reply frames as "call" does.
func (o *output) printFrames(service string, frames [][]byte) int {
	if o.json {
		return o.printJSON(replyJSON(service, frames))
	}
	for _, f := range frames {
		if utf8.Valid(f) {
			fmt.Fprintf(o.stdout, "%s\n", f)
		} else {
			fmt.Fprintf(o.stdout, "0x%x\n", f)
		}
	}
	return exitOK
}
