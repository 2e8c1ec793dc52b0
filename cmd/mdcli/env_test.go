package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestBrokerEndpoints(t *testing.T) {
	for _, tc := range []struct {
		flags []string
		env   string
		want  []string
		from  string
		err   bool
	}{
		{nil, "", []string{defaultBroker}, "default broker", false},
		{nil, "  ", []string{defaultBroker}, "default broker", false},
		{nil, "tcp://a:1", []string{"tcp://a:1"}, "$MAJORDOMO_BROKER", false},
		{nil, " tcp://a:1 ,tcp://b:2,", []string{"tcp://a:1", "tcp://b:2"}, "$MAJORDOMO_BROKER", false},
		{[]string{"tcp://f:3"}, "tcp://a:1,tcp://b:2", []string{"tcp://f:3"}, "--broker", false},
		{nil, ", ,", nil, "", true},
	} {
		got, from, err := brokerEndpoints(tc.flags, tc.env)
		if !reflect.DeepEqual(got, tc.want) || from != tc.from || (err != nil) != tc.err {
			t.Errorf("flags %q env %q: %q from %q, %v; want %q from %q", tc.flags, tc.env, got, from, err, tc.want, tc.from)
		}
	}
}

// $MAJORDOMO_BROKER lists brokers (a dead one first: the call fails over);
// --broker wins over it; a bad list is a usage error that names it.
func TestBrokerFromEnvironment(t *testing.T) {
	ep := scriptedBroker(t)
	inv := invocation{env: map[string]string{brokerEnv: "tcp://127.0.0.1:1, " + ep}}
	if code, stdout, stderr := inv.do(t, "--timeout=4s", "--retries=3", "call", "echo", "hi"); code != exitOK || stdout != "hi\n" {
		t.Fatalf("from the environment: exit %d, %q, %q", code, stdout, stderr)
	}
	inv = invocation{env: map[string]string{brokerEnv: "nonsense"}}
	if code, stdout, stderr := inv.do(t, "--broker", ep, "call", "echo", "flag wins"); code != exitOK || stdout != "flag wins\n" {
		t.Fatalf("--broker over the environment: exit %d, %q, %q", code, stdout, stderr)
	}
	if code, _, stderr := inv.do(t, "call", "echo"); code != exitUsage || !strings.Contains(stderr, "$MAJORDOMO_BROKER") || !strings.Contains(stderr, "nonsense") {
		t.Fatalf("a bad endpoint in the environment: exit %d, %q", code, stderr)
	}
	inv = invocation{env: map[string]string{brokerEnv: ","}}
	if code, _, stderr := inv.do(t, "call", "echo"); code != exitUsage || !strings.Contains(stderr, "names no broker") {
		t.Fatalf("an empty list: exit %d, %q", code, stderr)
	}
}
