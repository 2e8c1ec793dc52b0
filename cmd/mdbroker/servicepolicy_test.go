package main

import (
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/mdp"
)

// --service pins policies from flags, the environment and the config file
// (where it may repeat); the issue-9 bounds have flags of their own.
func TestServicePoliciesAndBoundFlags(t *testing.T) {
	file := writeFile(t, "service = ledger:mode=exclusive,deadline=5s\nservice = \"geo:mode=strict,max-tier=3\"\n")
	o, _, err := parseOptions([]string{"--config", file, "--worker-heartbeat-min", "5ms", "--worker-heartbeat-max", "30s",
		"--unserved-queue-bytes", "1MiB", "--unserved-per-client", "50"}, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]broker.ServicePolicy{
		"ledger": {Mode: mdp.ModeExclusive, RequestTimeout: 5 * time.Second},
		"geo":    {Mode: mdp.ModeStrict, MaxTier: 3},
	}
	c := o.cfg
	if !reflect.DeepEqual(c.Services, want) {
		t.Fatalf("services %+v, want %+v", c.Services, want)
	}
	if c.WorkerHeartbeatMin != 5*time.Millisecond || c.WorkerHeartbeatMax != 30*time.Second ||
		c.UnservedQueueBytes != 1<<20 || c.UnservedPerClient != 50 {
		t.Fatalf("bounds %v %v %d %d", c.WorkerHeartbeatMin, c.WorkerHeartbeatMax, c.UnservedQueueBytes, c.UnservedPerClient)
	}
	o, _, err = parseOptions([]string{"--service", "a:queue-limit=5,queue-bytes=1KiB;b:mode=overflow"},
		map[string]string{"MDBROKER_SERVICE": "c:mode=strict"}, io.Discard)
	want = map[string]broker.ServicePolicy{"a": {QueueLimit: 5, QueueBytes: 1024}, "b": {Mode: mdp.ModeOverflow}}
	if err != nil || !reflect.DeepEqual(o.cfg.Services, want) {
		t.Fatalf("flag over env: %+v %v", o.cfg.Services, err)
	}
	if got := (servicePolicies{&o.cfg.Services}).String(); got != "a:queue-limit=5,queue-bytes=1024;b:mode=overflow" {
		t.Fatalf("String() = %q", got)
	}
}

func TestBadServicePolicies(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{"ledger", "want NAME:key=value"},
		{"ledger:", "no settings"},
		{":mode=strict", "empty"},
		{"mmi.x:mode=strict", "reserved"},
		{"ledger:mode=active", `"active": want overflow, strict or exclusive`},
		{"ledger:max-tier=0", "want a tier from 1 to 255"},
		{"ledger:queue-limit=-1", "must be positive"},
		{"ledger:deadline=soon", "not a duration"},
		{"ledger:colour=red", "unknown key"},
		{"ledger:mode=strict,mode=exclusive", "each key once"},
		{"ledger:mode=strict;ledger:mode=strict", `service "ledger" is set twice`},
	} {
		_, _, err := parseOptions([]string{"--service", tc.spec}, nil, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--service %q: %v, want %q", tc.spec, err, tc.want)
		}
	}
	_, _, err := parseOptions([]string{"--worker-heartbeat-min", "2s", "--worker-heartbeat-max", "1s"}, nil, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "worker heartbeat bounds") {
		t.Errorf("min over max: %v", err)
	}
}
