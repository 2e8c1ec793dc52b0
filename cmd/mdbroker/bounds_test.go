package main

import (
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

// heartbeat × liveness is the silence that expires a worker: a value that
// overflows it (which expired every worker at once) or makes it longer than
// a day is refused, naming where each setting came from, with exit 2.
func TestWorkerSilenceBounds(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		file string
		want string // "" when the settings are accepted
	}{
		{"overflowing liveness", []string{"--liveness", "4000000000"}, nil, "", "liveness: must be at most 1000"},
		{"liveness at the bound", []string{"--liveness", "1000", "--heartbeat", "1s"}, nil, "", ""},
		{"liveness from env", nil, map[string]string{"MDBROKER_LIVENESS": "1001"}, "", `MDBROKER_LIVENESS="1001": must be at most 1000`},
		{"a day exactly", []string{"--heartbeat", "24m", "--liveness", "60"}, nil, "", ""},
		{"over a day, flags", []string{"--heartbeat", "1h", "--liveness", "25"}, nil, "",
			"heartbeat 1h0m0s (--heartbeat) × liveness 25 (--liveness) is over 24h0m0s"},
		{"over a day, file and default", nil, nil, "heartbeat = 10h\n", "heartbeat 10h0m0s (" /* file:1 */},
		{"over a day, env and file", nil, map[string]string{"MDBROKER_HEARTBEAT": "2h"}, "\nliveness = 13\n",
			"heartbeat 2h0m0s (MDBROKER_HEARTBEAT) × liveness 13 ("},
		{"overflowing heartbeat", []string{"--heartbeat", "2000000h"}, nil, "", "is over 24h0m0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range tc.env {
				env[k] = v
			}
			if tc.file != "" {
				env["MDBROKER_CONFIG"] = writeFile(t, tc.file)
			}
			_, _, err := parseOptions(tc.args, env, io.Discard)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// The file's line and the default are named as sources.
	file := writeFile(t, "# heartbeats\nheartbeat = 10h\n")
	_, _, err := parseOptions(nil, map[string]string{"MDBROKER_CONFIG": file}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "("+file+":2) × liveness 3 (default)") {
		t.Fatalf("error %v, want the file line and the default named", err)
	}
	var stderr strings.Builder
	if code := run(t.Context(), []string{"--liveness", "4000000000"}, nil, io.Discard, &stderr); code != 2 {
		t.Fatalf("--liveness 4000000000: exit %d, stderr %q", code, stderr.String())
	}
	o, _, err := parseOptions([]string{"--heartbeat", "1s", "--liveness", "1000"}, nil, io.Discard)
	if err != nil || o.cfg.HeartbeatInterval*time.Duration(o.cfg.HeartbeatLiveness) != 1000*time.Second {
		t.Fatalf("heartbeat %v liveness %d, %v", o.cfg.HeartbeatInterval, o.cfg.HeartbeatLiveness, err)
	}
}

// tcp endpoints are checked before binding: libzmq read port 99999 as 34463.
func TestBindEndpointChecks(t *testing.T) {
	for _, ep := range []string{
		"tcp://127.0.0.1:5555", "tcp://127.0.0.1:*", "tcp://*:5555", "tcp://*:*", "tcp://[::1]:5555",
		"tcp://[fe80::1%eth0]:5555", "tcp://localhost:65535", "tcp://eth0:1", "tcp://my-host.example.com:5555",
		"tcp://br_lan.10:5555", "ipc:///tmp/md.sock", "inproc://broker",
	} {
		o, _, err := parseOptions([]string{"--bind", ep}, nil, io.Discard)
		if err != nil || !reflect.DeepEqual(o.cfg.Endpoints, []string{ep}) {
			t.Errorf("%s: refused (%v) or not kept (%v)", ep, err, o.cfg.Endpoints)
		}
	}
	for ep, want := range map[string]string{
		"tcp://127.0.0.1:99999": `port "99999" is not a number from 1 to 65535`,
		"tcp://127.0.0.1:0":     `port "0" is not a number from 1 to 65535, or * for any free port`,
		"tcp://127.0.0.1:-1":    `port "-1"`,
		"tcp://127.0.0.1:http":  `port "http"`,
		"tcp://127.0.0.1:":      `port ""`,
		"tcp://127.0.0.1":       "want tcp://host:port",
		"tcp://::1:5555":        "want tcp://host:port",
		"tcp://:5555":           `host ""`,
		"tcp://256.1.1.1:5555":  `host "256.1.1.1"`,
		"tcp://bad host:5555":   `host "bad host"`,
		"tcp://a..b:5555":       `host "a..b"`,
		"tcp://":                "has no address",
		"127.0.0.1:5555":        "has no transport",
		"://127.0.0.1:5555":     "has no transport",
	} {
		_, _, err := parseOptions([]string{"--bind", ep}, nil, io.Discard)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", ep, err, want)
		}
	}
	// Named by source, and exit 2 as every bad setting.
	_, _, err := parseOptions(nil, map[string]string{"MDBROKER_BIND": "tcp://127.0.0.1:5555,tcp://127.0.0.1:70000"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "MDBROKER_BIND=") || !strings.Contains(err.Error(), `port "70000"`) {
		t.Fatalf("env: %v", err)
	}
	file := writeFile(t, "bind = tcp://127.0.0.1:5555\nbind = tcp://127.0.0.1:99999\n")
	if _, _, err := parseOptions([]string{"--config", file}, nil, io.Discard); err == nil || !strings.Contains(err.Error(), file+":2: bind: ") {
		t.Fatalf("file: %v", err)
	}
	var stderr strings.Builder
	if code := run(t.Context(), []string{"--bind", "tcp://127.0.0.1:99999"}, nil, io.Discard, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), "99999") {
		t.Fatalf("--bind tcp://127.0.0.1:99999: exit %d, stderr %q", code, stderr.String())
	}
}
