package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/majordomo-go/majordomo/clients"
	"github.com/majordomo-go/majordomo/workers"
)

func TestCauseOf(t *testing.T) {
	brokers := []string{"tcp://a:1", "tcp://b:2"}
	for _, tc := range []struct {
		service string
		exists  bool
		err     error
		code    string
		textHas string
	}{
		{"echo", false, clients.ErrTimeout, "no-broker", "within 1s either: is a broker running at tcp://a:1, tcp://b:2?"},
		{"echo", false, nil, "no-worker", `no worker for "echo"`},
		{"echo", true, nil, "slow-worker", "slow or busy"},
		{"mmi.x", false, nil, "slow-broker", "did not answer mmi.x"},
		{"echo", false, context.Canceled, "", ""},
		{"echo", false, &clients.ServiceError{Status: 501}, "", ""},
	} {
		c := causeOf(tc.service, brokers, time.Second, tc.exists, tc.err)
		if c.code != tc.code || !strings.Contains(c.text, tc.textHas) {
			t.Errorf("%s %v %v: %+v, want %q with %q", tc.service, tc.exists, tc.err, c, tc.code, tc.textHas)
		}
	}
}

// closedEndpoint is a loopback endpoint nothing listens on.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "tcp://" + l.Addr().String()
}

// A timeout says which case it is, in text and in JSON, and still exits 3.
func TestTimeoutSaysWhy(t *testing.T) {
	ep := realBroker(t, map[string]workers.HandlerFunc{
		"slow": func(ctx context.Context, _ *workers.Request) ([][]byte, error) {
			<-ctx.Done() // never in time
			return nil, ctx.Err()
		},
	})
	for _, tc := range []struct {
		name, broker, service, cause, textHas string
	}{
		{"no broker", closedEndpoint(t), "echo", "no-broker", "no broker answered mmi.service within 1s"},
		{"no worker", ep, "nobody", "no-worker", `no worker for "nobody"`},
		{"slow worker", ep, "slow", "slow-worker", `"slow" has a worker`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"--broker", tc.broker, "--timeout=300ms", "--retries=0"}
			code, _, stderr := invocation{}.do(t, append(args, "call", tc.service)...)
			if code != exitTimeout || !strings.Contains(stderr, tc.textHas) {
				t.Fatalf("call: exit %d, stderr %q; want 3 and %q", code, stderr, tc.textHas)
			}
			code, stdout, stderr := invocation{}.do(t, append(args, "--json", "stream", tc.service)...)
			var doc struct{ Error, Cause, CauseText string }
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
				t.Fatalf("stream --json: %v: %q", err, stdout)
			}
			if code != exitTimeout || doc.Cause != tc.cause || !strings.Contains(stderr, tc.textHas) {
				t.Fatalf("stream --json: exit %d, %+v, stderr %q", code, doc, stderr)
			}
		})
	}
}

// service and services, which ask the broker itself, say that no broker
// answered when they time out.
func TestMMITimeoutSaysNoBroker(t *testing.T) {
	ep := closedEndpoint(t)
	for _, args := range [][]string{{"service", "echo"}, {"services"}} {
		code, _, stderr := invocation{}.do(t, append([]string{"--broker", ep, "--timeout=200ms", "--retries=0"}, args...)...)
		if code != exitTimeout || !strings.Contains(stderr, "no broker answered: is a broker running at "+ep+"?") {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// Errors other than a timeout are not explained, and nothing is asked.
func TestOnlyTimeoutsAreExplained(t *testing.T) {
	asked := false
	out := &output{stdout: &strings.Builder{}, stderr: &strings.Builder{},
		explain: func(string) timeoutCause { asked = true; return timeoutCause{"x", "y"} }}
	code := out.call(context.Background(), func(context.Context, string, ...[]byte) ([][]byte, error) {
		return nil, errors.New("something else")
	}, "echo", nil)
	if code != exitFailure || asked {
		t.Fatalf("exit %d, asked %v", code, asked)
	}
}
