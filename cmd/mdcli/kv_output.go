package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/majordomo-go/majordomo/kv"
)

// bytesDoc is bytes in JSON: text when UTF-8, else base64.
type bytesDoc struct {
	Text   *string `json:"text,omitempty"`
	Base64 *string `json:"base64,omitempty"`
}

func docOf(b []byte) bytesDoc {
	s := string(b)
	if utf8.Valid(b) {
		return bytesDoc{Text: &s}
	}
	s = base64.StdEncoding.EncodeToString(b)
	return bytesDoc{Base64: &s}
}

type staleDoc struct {
	Applied       uint64 `json:"applied"`
	LastContactMS int64  `json:"last_contact_ms"`
}

func staleOf(s kv.Staleness) staleDoc {
	ms := int64(-1)
	if s.LastContact >= 0 {
		ms = s.LastContact.Milliseconds()
	}
	return staleDoc{s.Applied, ms}
}

// kvFail prints an error; the domain outcomes get their own exit codes.
func (o *output) kvFail(err error) int {
	switch {
	case errors.Is(err, kv.ErrNotFound):
		o.kvPrintError(err)
		return exitKVNotFound
	case errors.Is(err, kv.ErrCASFailed):
		o.kvPrintError(err)
		return exitKVCASFailed
	case errors.Is(err, kv.ErrNotInteger) || errors.Is(err, kv.ErrBadRequest):
		o.kvPrintError(err)
		return exitServiceError
	}
	return o.fail(err)
}

func (o *output) kvPrintError(err error) {
	fmt.Fprintln(o.stderr, "mdcli:", err)
	if o.json {
		o.printJSON(struct {
			Error string `json:"error"`
		}{err.Error()})
	}
}

func (o *output) kvGet(key string, g *kv.GetResult, err error) int {
	if err != nil {
		return o.kvFail(err)
	}
	if o.json {
		return o.printJSON(struct {
			Key     string   `json:"key"`
			Value   bytesDoc `json:"value"`
			Version uint64   `json:"version"`
			staleDoc
		}{key, docOf(g.Value), g.Version, staleOf(g.Staleness)})
	}
	o.stdout.Write(append(g.Value, '\n'))
	return exitOK
}

func (o *output) kvWrite(op string, w *kv.WriteResult, n int64, err error) int {
	if err != nil {
		if w != nil && o.json && errors.Is(err, kv.ErrCASFailed) {
			o.printJSON(struct {
				Status  string   `json:"status"`
				Index   uint64   `json:"index"`
				Version uint64   `json:"version"`
				Current bytesDoc `json:"current"`
			}{w.Status, w.Index, w.Version, docOf(w.Value)})
			return exitKVCASFailed
		}
		return o.kvFail(err)
	}
	if o.json {
		return o.printJSON(struct {
			Status  string   `json:"status"`
			Index   uint64   `json:"index"`
			Version uint64   `json:"version"`
			Value   bytesDoc `json:"value"`
		}{w.Status, w.Index, w.Version, docOf(w.Value)})
	}
	if op == "incr" {
		fmt.Fprintln(o.stdout, n)
	} else {
		fmt.Fprintln(o.stdout, w.Index)
	}
	return exitOK
}

func (o *output) kvScan(s *kv.ScanResult, err error) int {
	if err != nil {
		return o.kvFail(err)
	}
	if o.json {
		type rec struct {
			Key     bytesDoc `json:"key"`
			Value   bytesDoc `json:"value"`
			Version uint64   `json:"version"`
		}
		recs := []rec{}
		for _, r := range s.Records {
			recs = append(recs, rec{docOf(r.Key), docOf(r.Value), r.Version})
		}
		return o.printJSON(struct {
			Records []rec    `json:"records"`
			Next    bytesDoc `json:"next"`
			staleDoc
		}{recs, docOf(s.Next), staleOf(s.Staleness)})
	}
	for _, r := range s.Records {
		fmt.Fprintf(o.stdout, "%s\t%s\n", printable(r.Key), printable(r.Value))
	}
	if len(s.Next) > 0 {
		fmt.Fprintf(o.stderr, "mdcli: more keys follow: --after %s\n", printable(s.Next))
	}
	return exitOK
}

func (o *output) kvStatus(rows []nodeRow, err error) int {
	if err != nil {
		return o.kvFail(err)
	}
	if o.json {
		return o.printJSON(rows)
	}
	statusTable(o.stdout, rows)
	return exitOK
}

// kvAdmin prints "ok" after transfer, add or remove.
func (o *output) kvAdmin(err error) int {
	if err != nil {
		return o.kvFail(err)
	}
	if o.json {
		return o.printJSON(map[string]bool{"ok": true})
	}
	fmt.Fprintln(o.stdout, "ok")
	return exitOK
}
