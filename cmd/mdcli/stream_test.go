package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/workers"
)

// signalWriter is a stdout that closes seen once what it was written
// contains want.
type signalWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// stream prints a PARTIAL reply as soon as it arrives: the worker holds
// its FINAL reply back until the partial has been printed.
func TestStreamPrintsPartialsAsTheyArrive(t *testing.T) {
	release := make(chan struct{})
	ep := realBroker(t, map[string]workers.HandlerFunc{
		"tail": func(ctx context.Context, req *workers.Request) ([][]byte, error) {
			if err := req.Partial([]byte("first"), []byte("line")); err != nil {
				return nil, err
			}
			select {
			case <-release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return [][]byte{[]byte("done")}, nil
		},
	})
	for _, tc := range []struct {
		name string
		args []string
		want string // the partial, as printed
	}{
		{"text", []string{"--broker", ep, "--timeout", "30s", "stream", "tail"}, "first\nline\n"},
		{"json", []string{"--broker", ep, "--timeout", "30s", "--json", "stream", "tail"}, `"final":false`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := &signalWriter{want: tc.want, seen: make(chan struct{})}
			codec := make(chan int, 1)
			go func() {
				code, _, _ := invocation{stdout: out}.do(t, tc.args...)
				codec <- code
			}()
			select {
			case <-out.seen:
			case <-time.After(20 * time.Second):
				t.Fatalf("the partial was not printed before the final reply; stdout %q", out.String())
			}
			release <- struct{}{}
			if code := <-codec; code != exitOK {
				t.Fatalf("exit %d, stdout %q", code, out.String())
			}
			if tc.name == "text" {
				if out.String() != "first\nline\ndone\n" {
					t.Fatalf("stdout %q", out.String())
				}
				return
			}
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if len(lines) != 2 {
				t.Fatalf("want two JSON lines, got %q", out.String())
			}
			for i, wantFinal := range []bool{false, true} {
				var doc struct {
					Service string   `json:"service"`
					Final   *bool    `json:"final"`
					Frames  []string `json:"frames"`
				}
				if err := json.Unmarshal([]byte(lines[i]), &doc); err != nil || doc.Final == nil || *doc.Final != wantFinal || doc.Service != "tail" {
					t.Fatalf("line %d %q: %+v %v", i, lines[i], doc, err)
				}
			}
		})
	}
}

// A stream that ends in an error reply exits as call does, after printing
// the partials that came.
func TestStreamErrors(t *testing.T) {
	ep := realBroker(t, map[string]workers.HandlerFunc{
		"half": func(_ context.Context, req *workers.Request) ([][]byte, error) {
			if err := req.Partial([]byte("some")); err != nil {
				return nil, err
			}
			return nil, workers.Errorf(500, "then it broke")
		},
	})
	code, stdout, stderr := invocation{}.do(t, "--broker", ep, "stream", "half")
	if code != exitServiceError || stdout != "some\n" || !strings.Contains(stderr, "then it broke") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, _, stderr = invocation{}.do(t, "--broker", ep, "stream")
	if code != exitUsage || !strings.Contains(stderr, "stream needs a SERVICE") {
		t.Fatalf("no service: exit %d, %q", code, stderr)
	}
}
