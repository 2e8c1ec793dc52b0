package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/majordomo-go/majordomo/clients"
)

// output prints results and errors in text or JSON and picks exit codes.
type output struct {
	json           bool
	stdout, stderr io.Writer
	// explain, when set, tells why a request to a service timed out (see
	// explainer); nil: timeouts are not explained.
	explain func(service string) timeoutCause
	brokers []string // the endpoints, for the timeout of an mmi.* question
}

type requestFunc func(ctx context.Context, service string, body ...[]byte) ([][]byte, error)

func (o *output) call(ctx context.Context, request requestFunc, service string, body [][]byte) int {
	reply, err := request(ctx, service, body...)
	if err != nil {
		return o.failRequest(service, err)
	}
	code := o.printReply(replyJSON(service, reply))
	return o.mmiStatus(service, reply, code)
}

// printReply prints one reply: a JSON line, or one line per frame (a
// frame that is not UTF-8 in hex).
func (o *output) printReply(doc replyDoc) int {
	if o.json {
		return o.printJSON(doc)
	}
	for _, f := range doc.raw {
		if utf8.Valid(f) {
			fmt.Fprintf(o.stdout, "%s\n", f)
		} else {
			fmt.Fprintf(o.stdout, "0x%x\n", f)
		}
	}
	return exitOK
}

// mmiStatus makes an error status in the first frame of an mmi.* reply
// (501 for an MMI service the broker does not implement, 404 for no such
// service) exit 1 after the reply was printed; code otherwise.
func (o *output) mmiStatus(service string, reply [][]byte, code int) int {
	if code != exitOK || !strings.HasPrefix(service, "mmi.") || len(reply) == 0 {
		return code
	}
	status, err := strconv.Atoi(string(reply[0]))
	if err != nil || len(reply[0]) != 3 || status < 400 {
		return code
	}
	what := map[int]string{404: "not found", 501: "not implemented by this broker"}[status]
	fmt.Fprintf(o.stderr, "mdcli: %s answered %d %s\n", service, status, what)
	return exitServiceError
}

type replyDoc struct {
	Service  string   `json:"service"`
	Final    *bool    `json:"final,omitempty"` // stream only: whether this is the FINAL reply
	Encoding string   `json:"encoding"`        // "utf-8", or "base64" when a frame is not UTF-8
	Frames   []string `json:"frames"`
	raw      [][]byte
}

func replyJSON(service string, reply [][]byte) replyDoc {
	doc := replyDoc{Service: service, Encoding: "utf-8", Frames: make([]string, len(reply)), raw: reply}
	for _, f := range reply {
		if !utf8.Valid(f) {
			doc.Encoding = "base64"
		}
	}
	for i, f := range reply {
		if doc.Encoding == "base64" {
			doc.Frames[i] = base64.StdEncoding.EncodeToString(f)
		} else {
			doc.Frames[i] = string(f)
		}
	}
	return doc
}

func (o *output) service(name string, exists bool, err error) int {
	if err != nil {
		return o.failMMI(err)
	}
	if o.json {
		o.printJSON(struct {
			Service string `json:"service"`
			Exists  bool   `json:"exists"`
		}{name, exists})
	} else if exists {
		fmt.Fprintf(o.stdout, "%s: found\n", name)
	} else {
		fmt.Fprintf(o.stdout, "%s: not found\n", name)
	}
	if !exists {
		return exitServiceError
	}
	return exitOK
}

// failRequest is fail, with the cause of a timeout when explain can tell.
func (o *output) failRequest(service string, err error) int {
	var cause timeoutCause
	if errors.Is(err, clients.ErrTimeout) && o.explain != nil {
		cause = o.explain(service)
	}
	return o.failWithCause(err, cause)
}

// failMMI is fail for a question to the broker itself (mmi.*): a timeout
// there means no broker answered, without asking again.
func (o *output) failMMI(err error) int {
	var cause timeoutCause
	if errors.Is(err, clients.ErrTimeout) && len(o.brokers) > 0 {
		cause = timeoutCause{"no-broker", "no broker answered: is a broker running at " + strings.Join(o.brokers, ", ") + "?"}
	}
	return o.failWithCause(err, cause)
}

// fail reports an error and maps it to an exit code.
func (o *output) fail(err error) int { return o.failWithCause(err, timeoutCause{}) }

func (o *output) failWithCause(err error, cause timeoutCause) int {
	code, status := exitFailure, 0
	var se *clients.ServiceError
	if errors.As(err, &se) {
		code, status = exitServiceError, int(se.Status)
	}
	if errors.Is(err, clients.ErrTimeout) { // a 504 reply included
		code = exitTimeout
	}
	fmt.Fprintln(o.stderr, "mdcli:", err)
	if cause.text != "" {
		fmt.Fprintln(o.stderr, "mdcli:", cause.text)
	}
	if o.json {
		o.printJSON(struct {
			Error     string `json:"error"`
			Status    int    `json:"status,omitempty"`
			Cause     string `json:"cause,omitempty"` // of a timeout: no-broker, no-worker or slow-worker
			CauseText string `json:"cause_text,omitempty"`
		}{err.Error(), status, cause.code, cause.text})
	}
	return code
}

func (o *output) printJSON(v any) int {
	enc := json.NewEncoder(o.stdout)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintln(o.stderr, "mdcli:", err)
		return exitFailure
	}
	return exitOK
}
