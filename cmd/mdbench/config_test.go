package main

import (
	"errors"
	"flag"
	"io"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"--broker", "tcp://127.0.0.1:6000", "--clients", "16", "--window", "8",
		"--workers", "4", "--capacity", "16", "--size", "128", "--duration", "2s", "--warmup", "0s",
		"--service", "x", "--broker-pid", "42", "--json"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := config{broker: "tcp://127.0.0.1:6000", clients: 16, window: 8, workers: 4, capacity: 16, size: 128,
		duration: 2 * time.Second, timeout: 5 * time.Second, service: "x", brokerPID: 42, json: true, progressEvery: progressInterval}
	if cfg != want {
		t.Errorf("got %+v\nwant %+v", cfg, want)
	}
	if _, err := parseFlags([]string{"-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
	if cfg, err := parseFlags([]string{"--version", "--clients", "0"}, io.Discard); err != nil || !cfg.version {
		t.Errorf("--version (other flags are not checked): %v %v", cfg.version, err)
	}
}

func TestParseFlagsRefusesBadValues(t *testing.T) {
	for _, args := range [][]string{
		{"--clients", "0"},
		{"--window", "0"},
		{"--workers", "-1"},
		{"--capacity", "0"},
		{"--capacity", "65536"},
		{"--size", "7"},
		{"--size", "100000000"},
		{"--duration", "0s"},
		{"--warmup", "-1s"},
		{"--timeout", "0s"},
		{"--service", ""},
		{"--service", "mmi.echo"},
		{"--broker", ""},
		{"--broker-pid", "-3"},
		{"--clients", "many"},
		{"--nosuchflag"},
		{"extra"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}
