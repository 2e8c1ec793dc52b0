package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/majordomo-go/majordomo/broker"
	"github.com/majordomo-go/majordomo/broker/brokertest"
	"github.com/majordomo-go/majordomo/internal/curvekey"
)

// mdbench --server-key --key against a CURVE broker that lets the key in:
// mdbench's own sockets and the SDKs' both get through, and the JSON line
// says "curve": true. Without keys against the same broker nothing is
// answered.
func TestCurveRun(t *testing.T) {
	dir := t.TempDir()
	brokerKey, mine := filepath.Join(dir, "broker.key"), filepath.Join(dir, "mdbench.key")
	bk, err := curvekey.Generate(brokerKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := curvekey.Generate(mine); err != nil {
		t.Fatal(err)
	}
	ep := brokertest.Start(t, func(c *broker.Config) { c.CurveSecretKey = bk.Secret.String() }).Endpoint
	env := map[string]string{"MAJORDOMO_SERVER_KEY": curvekey.PublicPath(brokerKey), "MAJORDOMO_KEY": mine}
	for _, sdk := range []bool{false, true} {
		args := []string{"--broker", ep, "--clients", "2", "--window", "2", "--workers", "2", "--capacity", "2",
			"--warmup", "100ms", "--duration", "500ms", "--json", "--service", "mdbench.curve"}
		if sdk {
			args = append(args, "--sdk")
		}
		cfg, err := parseFlagsEnv(args, io.Discard, func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		r, err := run(context.Background(), cfg, &out)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil || doc["curve"] != true {
			t.Fatalf("sdk %v: JSON %s (%v): want \"curve\": true", sdk, out.Bytes(), err)
		}
		if r.Requests == 0 || r.Errors != 0 {
			t.Fatalf("sdk %v over CURVE: %d answered, %d errors", sdk, r.Requests, r.Errors)
		}
	}

	cfg, err := parseFlagsEnv([]string{"--broker", ep, "--warmup", "0s", "--duration", "300ms", "--timeout", "100ms", "--json"},
		io.Discard, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if r, err := run(context.Background(), cfg, io.Discard); err == nil && r.Requests != 0 {
		t.Fatalf("plain mdbench against a CURVE broker: %d answered", r.Requests)
	}
}

// Half the keys, or an exposed secret key file, are flag errors.
func TestCurveFlags(t *testing.T) {
	key := filepath.Join(t.TempDir(), "k")
	if _, err := curvekey.Generate(key); err != nil {
		t.Fatal(err)
	}
	none := func(string) string { return "" }
	if _, err := parseFlagsEnv([]string{"--key", key}, io.Discard, none); err == nil || !strings.Contains(err.Error(), "--server-key") {
		t.Fatalf("--key alone: %v", err)
	}
	if cfg, err := parseFlagsEnv([]string{"--server-key", key + ".pub", "--key", key}, io.Discard, none); err != nil || cfg.curveKeys == nil {
		t.Fatalf("both: %v", err)
	}
}
