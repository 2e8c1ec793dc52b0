package main

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/internal/flagvalue"
)

func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mdbroker.conf")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDefaults(t *testing.T) {
	o, _, err := parseOptions(nil, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(o.cfg, broker.DefaultConfig()) {
		t.Errorf("config %+v, want the broker's defaults", o.cfg)
	}
	if o.cfg.Endpoints[0] != "tcp://127.0.0.1:5555" || o.admin != "127.0.0.1:9555" || !o.adminEnabled() {
		t.Errorf("bind %v admin %q", o.cfg.Endpoints, o.admin)
	}
}

// Every setting can come from each source; flags win over the environment,
// which wins over the file, which wins over the defaults.
func TestSourcesAndPrecedence(t *testing.T) {
	file := writeFile(t, `
# a comment
heartbeat = 1s
liveness = 7
queue-bytes = 2MiB
bind = tcp://127.0.0.1:6001
bind = "tcp://127.0.0.1:6002"
log-format = json
max-attempts = 4
`)
	env := map[string]string{
		"MDBROKER_CONFIG":        file,
		"MDBROKER_LIVENESS":      "5",
		"MDBROKER_QUEUE_LIMIT":   "42",
		"MDBROKER_ADMIN":         "off",
		"MDBROKER_MAX_ATTEMPTS":  "6",
		"MDBROKER_UNRELATED_VAR": "ignored",
	}
	o, _, err := parseOptions([]string{"--max-attempts", "9", "-drain-timeout=250ms", "--log-level", "debug"}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c := o.cfg
	for _, check := range []struct {
		what      string
		got, want any
	}{
		{"heartbeat from the file", c.HeartbeatInterval, time.Second},
		{"liveness: env over file", c.HeartbeatLiveness, 5},
		{"queue bytes from the file", c.QueueBytes, int64(2 << 20)},
		{"bind repeated in the file", c.Endpoints, []string{"tcp://127.0.0.1:6001", "tcp://127.0.0.1:6002"}},
		{"queue limit from env", c.QueueLimit, 42},
		{"max attempts: flag over env over file", c.MaxAttempts, 9},
		{"drain timeout from a flag", c.DrainTimeout, 250 * time.Millisecond},
		{"log format from the file", o.logFormat, "json"},
		{"log level from a flag", o.logLevel, "debug"},
		{"admin off from env", o.adminEnabled(), false},
		{"untouched default", c.RequestTimeout, broker.DefaultConfig().RequestTimeout},
	} {
		if !reflect.DeepEqual(check.got, check.want) {
			t.Errorf("%s: got %v, want %v", check.what, check.got, check.want)
		}
	}
}

func TestBindFromEnvAndFlags(t *testing.T) {
	o, _, err := parseOptions(nil, map[string]string{"MDBROKER_BIND": "tcp://127.0.0.1:7001, ipc:///tmp/md.sock"}, io.Discard)
	if err != nil || !reflect.DeepEqual(o.cfg.Endpoints, []string{"tcp://127.0.0.1:7001", "ipc:///tmp/md.sock"}) {
		t.Fatalf("env bind: %v %v", o.cfg.Endpoints, err)
	}
	o, _, err = parseOptions([]string{"--bind", "tcp://127.0.0.1:7002", "--bind", "tcp://127.0.0.1:7003"}, nil, io.Discard)
	if err != nil || !reflect.DeepEqual(o.cfg.Endpoints, []string{"tcp://127.0.0.1:7002", "tcp://127.0.0.1:7003"}) {
		t.Fatalf("flag bind: %v %v", o.cfg.Endpoints, err)
	}
}

// Bad input from any source is an error that names where it came from.
func TestBadSettings(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		file string
		want string
	}{
		{"zero count", []string{"--queue-limit", "0"}, nil, "", "must be positive"},
		{"negative duration", []string{"--heartbeat=-1s"}, nil, "", "must be at least 1ms"},
		{"not a duration", []string{"--request-timeout", "soon"}, nil, "", "not a duration"},
		{"not a size", []string{"--max-message-size", "big"}, nil, "", "not a size"},
		{"size overflow", []string{"--queue-bytes", "9000000000GiB"}, nil, "", "too large"},
		{"endpoint without transport", []string{"--bind", "127.0.0.1:5555"}, nil, "", "no transport"},
		{"unknown flag", []string{"--bogus"}, nil, "", "not defined"},
		{"stray argument", []string{"serve"}, nil, "", `unexpected argument "serve"`},
		{"bad log level", []string{"--log-level", "loud"}, nil, "", "log level"},
		{"bad log format", []string{"--log-format", "xml"}, nil, "", "log format"},
		{"bad env value", nil, map[string]string{"MDBROKER_LIVENESS": "many"}, "", `MDBROKER_LIVENESS="many"`},
		{"unknown file setting", nil, nil, "heartbeat = 1s\nfrobnicate = 3\n", ":2: unknown setting \"frobnicate\""},
		{"file line without =", nil, nil, "heartbeat 1s\n", ":1: want `name = value`"},
		{"bad file value", nil, nil, "\n\nliveness = -2\n", ":3: liveness: must be positive"},
		{"bad quoting", nil, nil, "bind = \"tcp://x\n", ":1: bad quoted value"},
		{"missing file", []string{"--config", "/nonexistent/mdbroker.conf"}, nil, "", "no such file"},
		{"config is a directory", []string{"--config", os.TempDir()}, nil, "", "not a regular file"},
		{"sub-millisecond heartbeat", []string{"--heartbeat", "500us"}, nil, "", "heartbeat: must be at least 1ms"},
		{"admin not host:port", []string{"--admin", "nonsense"}, nil, "", `admin address "nonsense": want host:port, or off`},
		{"admin empty", []string{"--admin="}, nil, "", "want host:port, or off"},
		{"admin port not a number", []string{"--admin", "127.0.0.1:http"}, nil, "", "port"},
		{"repeated file setting", nil, nil, "liveness = 4\nliveness = 9\n", ":2: liveness is set again (first on line 1)"},
		{"version in the file", nil, nil, "version = true\n", `:1: "version" cannot be set in a config file`},
		{"text after a quoted value", nil, nil, "bind = \"tcp://127.0.0.1:1\" x\n", `:1: unexpected "x" after the quoted value`},
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
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestByteSizeRoundTrip(t *testing.T) {
	for in, want := range map[string]int64{"65536": 65536, "64KiB": 64 << 10, "16M": 16 << 20, "1GiB": 1 << 30, "100B": 100} {
		var n int64
		if err := (flagvalue.Size{P: &n}).Set(in); err != nil || n != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, n, err, want)
		}
	}
	n := int64(3 << 20)
	if s := (flagvalue.Size{P: &n}).String(); s != "3MiB" {
		t.Errorf("String() = %q", s)
	}
}

func TestHelpAndVersion(t *testing.T) {
	var out, errOut strings.Builder
	if _, _, err := parseOptions([]string{"--help"}, nil, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	for _, want := range []string{"-drain-timeout duration", "MDBROKER_QUEUE_LIMIT", "-bind endpoint"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
	out.Reset()
	if code := run(t.Context(), []string{"--version"}, nil, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "mdbroker ") || !strings.Contains(out.String(), runtime.Version()) {
		t.Fatalf("--version: exit %d, %q", code, out.String())
	}
	if code := run(t.Context(), []string{"--liveness", "0"}, nil, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "must be positive") {
		t.Fatalf("bad flag: exit %d, stderr %q", code, errOut.String())
	}
}

// Comments may follow a value, a quoted value may hold a #, and a
// byte-order mark at the start of the file is not part of the first name.
func TestConfigFileComments(t *testing.T) {
	file := writeFile(t, `bind = "ipc:///tmp/md#kept.sock" # the first # is quoted`+"\n")
	o, _, err := parseOptions([]string{"--config", file}, nil, io.Discard)
	if err != nil || !reflect.DeepEqual(o.cfg.Endpoints, []string{"ipc:///tmp/md#kept.sock"}) {
		t.Fatalf("quoted #: bind %v, err %v", o.cfg.Endpoints, err)
	}
	file = writeFile(t, "\uFEFFheartbeat = 1s # towards workers\r\n"+
		"bind = tcp://127.0.0.1:6001\t# local\r\n"+
		"log-level = \"warn\" # quiet\r\n")
	if o, _, err = parseOptions([]string{"--config", file}, nil, io.Discard); err != nil {
		t.Fatal(err)
	}
	if o.cfg.HeartbeatInterval != time.Second || !reflect.DeepEqual(o.cfg.Endpoints, []string{"tcp://127.0.0.1:6001"}) || o.logLevel != "warn" {
		t.Fatalf("heartbeat %v, bind %v, log level %q", o.cfg.HeartbeatInterval, o.cfg.Endpoints, o.logLevel)
	}
}

// MDBROKER_VERSION is not --version (containers set it for other reasons),
// and variables that name no setting are reported, not applied.
func TestEnvironmentNamesNoSetting(t *testing.T) {
	env := map[string]string{"MDBROKER_VERSION": "0.3.0", "MDBROKER_HEARTBEAT_INTERVAL": "1s", "PATH": "/bin"}
	o, unknown, err := parseOptions(nil, env, io.Discard)
	if err != nil || o.version {
		t.Fatalf("version %v, err %v", o.version, err)
	}
	if want := []string{"MDBROKER_HEARTBEAT_INTERVAL", "MDBROKER_VERSION"}; !reflect.DeepEqual(unknown, want) {
		t.Fatalf("unknown %v, want %v", unknown, want)
	}
	var logs strings.Builder
	if code := run(t.Context(), []string{"--bind", "x"}, env, io.Discard, &logs); code != 2 {
		t.Fatalf("bad bind: exit %d", code)
	}
}
