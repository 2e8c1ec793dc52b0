package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/majordomo-go/majordomo/titanic"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestOptions(t *testing.T) {
	o, err := parseOptions([]string{"--data", "d", "--max-bytes", "64KiB", "--ttl", "90s"},
		[]string{"TITANIC_TTL=1h", "TITANIC_MAX_IN_FLIGHT=3", "TITANIC_BROKER=tcp://127.0.0.1:6000"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	c := o.cfg
	if c.Dir != "d" || c.MaxBytes != 64<<10 || c.DefaultTTL != 90*time.Second || c.MaxInFlight != 3 || c.Broker != "tcp://127.0.0.1:6000" {
		t.Fatalf("config %+v: flags win over the environment, which wins over the defaults", c)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, tc := range []struct {
		args, env []string
		want      string
	}{
		{nil, nil, "--data DIR is required"},
		{[]string{"--data", "d", "--max-bytes", "lots"}, nil, "max-bytes"},
		{[]string{"--data", "d", "--ttl", "0s"}, nil, "ttl"},
		{[]string{"--data", "d"}, []string{"TITANIC_HEARTBEAT=soon"}, "TITANIC_HEARTBEAT"},
		{[]string{"--data", "d", "--ttl", "48h", "--max-ttl", "1h"}, nil, "MaxTTL"},
		{[]string{"--data", "d", "extra"}, nil, "unexpected argument"},
		{[]string{"--data", "d", "--log-format", "xml"}, nil, "log format"},
	} {
		var stderr bytes.Buffer
		if code := run(context.Background(), tc.args, tc.env, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%q %q: exit %d, %q; want 2 and %q", tc.args, tc.env, code, stderr.String(), tc.want)
		}
	}
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, nil, &stderr); code != 0 || !strings.Contains(stderr.String(), "TITANIC_MAX_BYTES") {
		t.Errorf("--help: exit %d, %q", code, stderr.String())
	}
}

func TestCorruptStoreExit1(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, titanic.StoreFile), bytes.Repeat([]byte{0xee}, 1<<14), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"--data", dir, "--broker", "tcp://127.0.0.1:1"}, nil, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "store is corrupt") {
		t.Fatalf("exit %d, %q", code, stderr.String())
	}
}

// --version needs no --data; TITANIC_VERSION (set by containers for other
// reasons) is not --version and is no error.
func TestVersionFlag(t *testing.T) {
	o, err := parseOptions([]string{"--version"}, nil, io.Discard)
	if err != nil || !o.version {
		t.Fatalf("--version: version %v, err %v", o.version, err)
	}
	o, err = parseOptions([]string{"--data", "d"}, []string{"TITANIC_VERSION=0.3"}, io.Discard)
	if err != nil || o.version {
		t.Fatalf("TITANIC_VERSION: version %v, err %v", o.version, err)
	}
}
