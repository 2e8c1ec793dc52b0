package main

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/mdp"
)

var progressLine = regexp.MustCompile(`^mdbench +\d+\.\ds (warm-up|measuring|draining) +(\d+) req/s  errors (\d+)  p99 (\d+µs|-)  outstanding \d+$`)

// A run prints progress lines at the injected interval: well-formed, with
// requests answered while measuring and no errors against our broker.
func TestProgressLines(t *testing.T) {
	ep := startBroker(t)
	cfg := testConfig(ep)
	cfg.service = "mdbench.test.progress"
	var lines bytes.Buffer
	cfg.progress, cfg.progressEvery = &lines, 100*time.Millisecond
	var out bytes.Buffer
	if _, err := run(context.Background(), cfg, &out); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(lines.String(), "\n"), "\n")
	if len(got) < 3 {
		t.Fatalf("want a line every 100ms of a 1s run, got %q", lines.String())
	}
	measuredRate := false
	for _, l := range got {
		m := progressLine.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("progress line %q does not match %v", l, progressLine)
		}
		if m[3] != "0" {
			t.Errorf("errors in %q", l)
		}
		if rate, _ := strconv.Atoi(m[2]); m[1] == "measuring" && rate > 0 && m[4] != "-" {
			measuredRate = true
		}
		if m[1] == "warm-up" && m[4] != "-" {
			t.Errorf("a p99 before measuring: %q", l)
		}
	}
	if !measuredRate {
		t.Errorf("no measuring line with a rate: %q", lines.String())
	}
	if bytes.Contains(out.Bytes(), []byte("req/s  errors")) {
		t.Errorf("progress went to stdout: %q", out.String())
	}
}

// The progress lines count errors as they happen: the clients' (a broker
// that never answers) and our workers' (a broker that answers READY with
// garbage).
func TestProgressCountsErrors(t *testing.T) {
	silent := fakeBroker(t, func(mdp.Message) [][]byte { return nil })
	garbage := brokertest.FakeRouter(t, func(m mdp.Message, err error) [][]byte {
		if err == nil && m.Kind == mdp.WorkerReady {
			return [][]byte{[]byte("garbage")}
		}
		return nil
	})
	for _, tc := range []struct {
		name    string
		ep      string
		workers int
	}{{"clients", silent, 0}, {"workers", garbage, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(tc.ep)
			cfg.workers = tc.workers
			cfg.warmup, cfg.duration, cfg.timeout = 0, 500*time.Millisecond, 50*time.Millisecond
			var lines bytes.Buffer
			cfg.progress, cfg.progressEvery = &lines, 100*time.Millisecond
			r, err := run(context.Background(), cfg, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			last := strings.TrimSuffix(lines.String(), "\n")
			last = last[strings.LastIndex(last, "\n")+1:]
			m := progressLine.FindStringSubmatch(last)
			if m == nil || m[3] == "0" {
				t.Fatalf("last progress line %q: want errors counted (all lines: %q)", last, lines.String())
			}
			if tc.workers > 0 && r.WorkerMalformed == 0 {
				t.Fatalf("the workers counted no malformed message: %+v", r)
			}
		})
	}
}

func TestProgressOnlyInTextMode(t *testing.T) {
	var stderr bytes.Buffer
	for _, tc := range []struct {
		json, quiet bool
		want        io.Writer
	}{{false, false, &stderr}, {true, false, nil}, {false, true, nil}, {true, true, nil}} {
		cfg := defaultConfig()
		cfg.json, cfg.quiet = tc.json, tc.quiet
		if got := progressTo(cfg, &stderr); got != tc.want {
			t.Errorf("json %v quiet %v: progress to %v, want %v", tc.json, tc.quiet, got, tc.want)
		}
	}
	cfg, err := parseFlags([]string{"--quiet"}, io.Discard)
	if err != nil || !cfg.quiet {
		t.Fatalf("--quiet: %v %v", cfg.quiet, err)
	}
}

// The errors of a progress line are the clients' and the workers' together.
func TestProgressLineAddsWorkerErrors(t *testing.T) {
	var lines bytes.Buffer
	cs := &clientSet{sending: true, measuring: true}
	cs.stats.lost, cs.stats.replies = 2, 500
	p := progress{w: &lines, every: time.Second, next: time.Second, workerErrors: func() uint64 { return 5 }}
	p.print(cs, time.Second)
	m := progressLine.FindStringSubmatch(strings.TrimSuffix(lines.String(), "\n"))
	if m == nil || m[1] != "measuring" || m[2] != "500" || m[3] != "7" || m[4] != "-" {
		t.Fatalf("line %q", lines.String())
	}
	if p.due(1500*time.Millisecond) || !p.due(2*time.Second) {
		t.Fatalf("next line due at %v, want 2s", p.next)
	}
}
