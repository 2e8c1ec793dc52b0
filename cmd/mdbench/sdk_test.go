package main

import (
	"bytes"
	"context"
	"os"
	"testing"
)

// --sdk drives our broker through the SDKs, with plain MDP/0.1 workers and
// with extension workers of capacity 4, and reports as raw mode does.
func TestSDKAgainstOurBroker(t *testing.T) {
	ep := startBroker(t)
	for _, tc := range []struct {
		name     string
		capacity int
	}{{"plain", 1}, {"capacity", 4}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(ep)
			cfg.sdk = true
			cfg.capacity = tc.capacity
			cfg.service = "mdbench.sdk." + tc.name
			cfg.brokerPID = os.Getpid()
			var out bytes.Buffer
			r, err := run(context.Background(), cfg, &out)
			if err != nil {
				t.Fatal(err)
			}
			checkResult(t, r)
			checkJSON(t, out.Bytes())
			if r.Sent < r.Requests {
				t.Errorf("%d sent, fewer than the %d answered", r.Sent, r.Requests)
			}
		})
	}
}

func TestSDKFlag(t *testing.T) {
	var stderr bytes.Buffer
	cfg, err := parseFlags([]string{"--sdk", "--clients", "2"}, &stderr)
	if err != nil || !cfg.sdk || cfg.clients != 2 {
		t.Fatalf("--sdk: %+v, %v", cfg, err)
	}
}
