package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/majordomo-go/majordomo/clients"
)

// output prints results and errors in text or JSON and picks exit codes.
type output struct {
	json           bool
	stdout, stderr io.Writer
}

type requestFunc func(ctx context.Context, service string, body ...[]byte) ([][]byte, error)

func (o *output) call(ctx context.Context, request requestFunc, service string, args []string) int {
	body := make([][]byte, len(args))
	for i, a := range args {
		body[i] = []byte(a)
	}
	reply, err := request(ctx, service, body...)
	if err != nil {
		return o.fail(err)
	}
	if o.json {
		return o.printJSON(replyJSON(service, reply))
	}
	for _, f := range reply {
		if utf8.Valid(f) {
			fmt.Fprintf(o.stdout, "%s\n", f)
		} else {
			fmt.Fprintf(o.stdout, "0x%x\n", f)
		}
	}
	return exitOK
}

type replyDoc struct {
	Service  string   `json:"service"`
	Encoding string   `json:"encoding"` // "utf-8", or "base64" when a frame is not UTF-8
	Frames   []string `json:"frames"`
}

func replyJSON(service string, reply [][]byte) replyDoc {
	doc := replyDoc{Service: service, Encoding: "utf-8", Frames: make([]string, len(reply))}
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

func (o *output) services(list []clients.ServiceInfo, err error) int {
	if err != nil {
		return o.fail(err)
	}
	if o.json {
		if list == nil {
			list = []clients.ServiceInfo{}
		}
		return o.printJSON(list)
	}
	tw := tabwriter.NewWriter(o.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tWORKERS\tQUEUED")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%d\t%d\n", s.Name, s.Workers, s.Queued)
	}
	tw.Flush()
	return exitOK
}

func (o *output) service(name string, exists bool, err error) int {
	if err != nil {
		return o.fail(err)
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

// fail reports an error and maps it to an exit code.
func (o *output) fail(err error) int {
	code, status := exitFailure, 0
	var se *clients.ServiceError
	if errors.As(err, &se) {
		code, status = exitServiceError, int(se.Status)
	}
	if errors.Is(err, clients.ErrTimeout) { // a 504 reply included
		code = exitTimeout
	}
	fmt.Fprintln(o.stderr, "mdcli:", err)
	if o.json {
		o.printJSON(struct {
			Error  string `json:"error"`
			Status int    `json:"status,omitempty"`
		}{err.Error(), status})
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
