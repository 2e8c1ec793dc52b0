package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFrames(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "body")
	if err := os.WriteFile(file, []byte("from a file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		stdin  string
		want   []string
		errHas string
	}{
		{"plain", []string{"a", "", "-x", "--json"}, "", []string{"a", "", "-x", "--json"}, ""},
		{"stdin", []string{"a", "-", "b"}, "from\x00stdin", []string{"a", "from\x00stdin", "b"}, ""},
		{"empty stdin", []string{"-"}, "", []string{""}, ""},
		{"file", []string{"@" + file}, "", []string{"from a file\n"}, ""},
		{"empty file", []string{"@" + empty}, "", []string{""}, ""},
		{"literal @", []string{"@@" + file, "@@", "a@b"}, "", []string{"@" + file, "@", "a@b"}, ""},
		{"missing file", []string{"@" + filepath.Join(dir, "nope")}, "", nil, "no such file"},
		{"bare @", []string{"@"}, "", nil, "no file named"},
		{"stdin twice", []string{"-", "-"}, "x", nil, "only once"},
		{"a directory", []string{"@" + dir}, "", nil, "is a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readFrames(tc.args, strings.NewReader(tc.stdin))
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err %v, want one containing %q", err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for i := range got {
				if string(got[i]) != tc.want[i] {
					t.Fatalf("frame %d: %q, want %q", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// A frame over the bound is refused after reading one byte more than it,
// not read whole.
func TestReadFramesBounded(t *testing.T) {
	src := &countingReader{r: io.LimitReader(zeros{}, 1<<30)}
	_, err := readFrames([]string{"-"}, src)
	if !errors.Is(err, errFrameTooLarge) {
		t.Fatalf("err %v, want errFrameTooLarge", err)
	}
	if src.n > maxFrameInput+1<<16 {
		t.Fatalf("read %d bytes of a 1 GiB stdin", src.n)
	}
	frames, err := readFrames([]string{"-"}, io.LimitReader(zeros{}, maxFrameInput))
	if err != nil || len(frames[0]) != maxFrameInput {
		t.Fatalf("a frame of exactly 16 MiB: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// Frames from stdin and files reach the service; a bad @path is a usage
// error before anything is sent.
func TestFramesFromStdinAndFiles(t *testing.T) {
	ep := scriptedBroker(t)
	file := filepath.Join(t.TempDir(), "req.json")
	if err := os.WriteFile(file, []byte(`{"k":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	inv := invocation{stdin: strings.NewReader("piped in")}
	code, stdout, stderr := inv.do(t, "--broker", ep, "call", "echo", "-", "@"+file, "@@home")
	if code != exitOK || stdout != "piped in\n{\"k\":1}\n@home\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, _, stderr = invocation{}.do(t, "--broker", ep, "call", "echo", "@/nonexistent/req")
	if code != exitUsage || !strings.Contains(stderr, "/nonexistent/req") {
		t.Fatalf("missing file: exit %d, stderr %q", code, stderr)
	}
	var out bytes.Buffer
	code, _, _ = invocation{stdin: strings.NewReader("s"), stdout: &out}.do(t, "--broker", ep, "stream", "echo", "-")
	if code != exitOK || out.String() != "s\n" {
		t.Fatalf("stream from stdin: exit %d, %q", code, out.String())
	}
}
